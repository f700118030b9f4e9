/**
 * The class's stage on the teacher's and learners' pages. (Being built.)
 *
 *   mountStage({ role: "teacher" | "learner", boot, hello }) -> { "class.<type>": handler, ... } for the class socket
 */

export function mountStage(context) {
  return {};
}
