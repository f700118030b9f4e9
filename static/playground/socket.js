/**
 * A run's websocket: connect, resume, back off, dispatch on `type`.
 *
 *   connecting ──open──> live ──drop──> reconnecting ──open──> live ...
 *        │                 │  gap in seq: reconnect at once, after the last contiguous seq
 *        └──── close() or {"type": "error"} ────> closed (never reconnects)
 *
 * The server sends {"type": "events", "events": [...]} in seq order; after a
 * reconnect it resends from `?after=<seq>`, so duplicates are dropped here and
 * handlers see each event exactly once, in order, with no holes. Other messages
 * carry no seq and go to the handler named by their type, as they come: e.g.
 * {"type": "queue", "place", "eta_s"} while the run waits for a worker -> handlers.queue.
 * No DOM: the WebSocket class, location and timers can be injected (Node tests).
 */

export const BACKOFF_FIRST_MS = 500; // first retry soon: a blip should cost nothing
export const BACKOFF_MAX_MS = 8000; // a restarting server is asked at most every 8 s
const NORMAL_CLOSURE = 1000;

/** ws: or wss: (as the page) URL of `path`, resuming after `after`. */
export function socketUrl(path, after, location = globalThis.location) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("after", String(after));
  return url.toString();
}

/** Delay before reconnect number `failures` (1-based): 0.5 s, 1 s, 2 s ... 8 s. */
export function backoffDelay(failures) {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(failures - 1, 0), BACKOFF_MAX_MS);
}

/**
 * Open the socket at `path` and keep it open until close().
 *   handlers: {events(list), error(message), <type>(message)} (e.g. queue); types without
 *     a handler of their own are ignored
 *   onStatus(state, info): state is connecting | live | reconnecting | closed;
 *     info = {failures, delayMs, error}
 */
export function connectRun(path, { handlers = {}, onStatus = () => {}, after = -1, WebSocketImpl, location, timers } = {}) {
  const WS = WebSocketImpl ?? globalThis.WebSocket;
  const clock = timers ?? globalThis;
  let lastSeq = after;
  let ws = null;
  let timer = null;
  let failures = 0;
  let state = null;
  let stopped = false;

  function setState(next, info = {}) {
    state = next;
    onStatus(next, { failures, delayMs: 0, error: null, ...info });
  }

  function open() {
    timer = null;
    if (stopped) return;
    setState(state === null ? "connecting" : "reconnecting", { failures });
    let socket;
    try {
      socket = new WS(socketUrl(path, lastSeq, location ?? globalThis.location));
    } catch (error) {
      stop("closed", { error: String(error?.message ?? error) }); // a bad URL will not get better
      return;
    }
    ws = socket;
    socket.onopen = () => {
      failures = 0;
      setState("live");
    };
    socket.onmessage = (message) => receive(message.data);
    socket.onclose = () => {
      if (ws !== socket || stopped) return;
      ws = null;
      retry(backoffDelay(++failures));
    };
    socket.onerror = () => {}; // a close event always follows; it decides what next
  }

  function retry(delayMs) {
    if (stopped || timer !== null) return;
    if (delayMs > 0) setState("reconnecting", { delayMs });
    timer = clock.setTimeout(open, delayMs);
  }

  function detach() {
    const socket = ws;
    ws = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(NORMAL_CLOSURE);
    } catch {
      // Closing a socket that never opened can throw in some browsers; it is gone either way.
    }
  }

  function receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not ours to interpret; the next valid message carries on
    }
    if (message?.type === "events") return receiveEvents(message.events ?? []);
    if (message?.type === "error") {
      stop("closed", { error: String(message.error ?? "error") });
      handlers.error?.(message);
      return;
    }
    // Only a handler the caller gave: a type such as "constructor" or "__proto__" names none.
    const type = message?.type;
    const handler = typeof type === "string" && Object.hasOwn(handlers, type) ? handlers[type] : null;
    if (typeof handler === "function") handler(message);
  }

  function receiveEvents(events) {
    const fresh = [];
    let gap = false;
    for (const event of events) {
      if (!Number.isInteger(event?.seq) || event.seq <= lastSeq) continue; // already seen
      if (event.seq > lastSeq + 1) {
        gap = true;
        break;
      }
      lastSeq = event.seq;
      fresh.push(event);
    }
    if (fresh.length) handlers.events?.(fresh);
    if (gap && !stopped) {
      // Something was lost in between: ask again from the last event we hold.
      detach();
      retry(0);
    }
  }

  function stop(next, info) {
    if (stopped) return;
    stopped = true;
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    detach();
    setState(next, info);
  }

  open();
  return {
    close: () => stop("closed"),
    get lastSeq() {
      return lastSeq;
    },
    get state() {
      return state;
    },
  };
}

/**
 * Handler maps joined into one: a type that several maps handle (each part of a page its own
 * "class.hello") calls each of their handlers in turn, in the order the maps are given.
 */
export function joinHandlers(...maps) {
  const out = {};
  for (const map of maps) {
    for (const [type, handler] of Object.entries(map)) {
      const before = out[type];
      out[type] = before
        ? (message) => {
            before(message);
            handler(message);
          }
        : handler;
    }
  }
  return out;
}
