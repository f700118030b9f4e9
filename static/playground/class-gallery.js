/**
 * The class's gallery on the teacher's and learners' pages. (Being built.)
 *
 *   mountGallery({ role: "teacher" | "learner", boot, hello }) -> { "class.<type>": handler, ... } for the class socket
 */

export function mountGallery(context) {
  return {};
}
