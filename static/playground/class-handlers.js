/**
 * Pure: the class socket's handlers, joined from each part of a class page (the stage, rounds,
 * the gallery, the page's own). Two parts may both read a message -- every part reads its
 * share of class.hello -- so a type's handlers are all called, in the order the parts are given.
 *
 *   joinHandlers({"class.hello": a}, {"class.hello": b, "class.paused": c}) -> {"class.hello": a then b, ...}
 *
 * One part's failure does not keep the message from the others: each is called, then the first
 * error is thrown again (the socket logs it).
 */

export function joinHandlers(...parts) {
  const lists = new Map();
  for (const part of parts) {
    for (const [type, handler] of Object.entries(part ?? {})) {
      if (typeof handler !== "function") continue;
      if (!lists.has(type)) lists.set(type, []);
      lists.get(type).push(handler);
    }
  }
  const joined = {};
  for (const [type, handlers] of lists) {
    joined[type] = handlers.length === 1 ? handlers[0] : (message) => callEach(handlers, message);
  }
  return joined;
}

function callEach(handlers, message) {
  let failure = null;
  for (const handler of handlers) {
    try {
      handler(message);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
}
