/**
 * Pure: what the class pages say about a roster message, testable in Node.
 *   countWords(3, 200) -> "3 of 200 learners"; learnersHere(1) -> "1 learner in the class"
 */

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function countWords(count, max) {
  return `${count} of ${plural(max, "learner")}`;
}

export function learnersHere(count) {
  return `${plural(count, "learner")} in the class`;
}

/** "11:42" in the viewer's time zone, from an ISO time. */
export function clock(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
