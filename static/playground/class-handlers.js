/**
 * One handler map for the class socket from the parts' maps (mountStage, mountRound, mountGallery and
 * the page's own): where two parts handle one type (each reads the hello), each is called, in order.
 * Pure: testable in Node.
 */

export function handlersOf(...maps) {
  const lists = new Map();
  for (const map of maps) {
    for (const [type, handler] of Object.entries(map ?? {})) {
      if (typeof handler !== "function") continue;
      if (!lists.has(type)) lists.set(type, []);
      lists.get(type).push(handler);
    }
  }
  const out = {};
  for (const [type, handlers] of lists) {
    out[type] = handlers.length === 1 ? handlers[0] : (message) => handlers.forEach((handler) => handler(message));
  }
  return out;
}
