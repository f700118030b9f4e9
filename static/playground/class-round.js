/**
 * The class's round on the teacher's and learners' pages. (Being built.)
 *
 *   mountRound({ role: "teacher" | "learner", boot, hello }) -> { "class.<type>": handler, ... } for the class socket
 */

export function mountRound(context) {
  return {};
}
