// node --test tests/js/ : the run socket against a fake WebSocket and fake timers.
import { test } from "node:test";
import assert from "node:assert/strict";

import { backoffDelay, connectRun, socketUrl } from "../../static/playground/socket.js";

const PAGE = { href: "http://class.local:8000/runs/abc/", protocol: "http:" };

/** A WebSocket stand-in: records every socket; the test drives open/message/close. */
function fakeWebSocket() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.closedWith = null;
      sockets.push(this);
    }
    close(code) {
      this.closedWith = code;
    }
    open() {
      this.onopen?.();
    }
    send(message) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }
    drop() {
      this.onclose?.({ code: 1006 });
    }
  }
  return { FakeSocket, sockets };
}

/** Timers that fire only when the test says so, recording each delay. */
function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    delays: [],
    setTimeout(fn, ms) {
      this.delays.push(ms);
      pending.set(next, fn);
      return next++;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    runAll() {
      const fns = [...pending.values()];
      pending.clear();
      fns.forEach((fn) => fn());
    },
    get pending() {
      return pending.size;
    },
  };
}

function events(...seqs) {
  return { type: "events", events: seqs.map((seq) => ({ seq, type: "task.started", t: seq / 10, task: seq, attempt: 1 })) };
}

function start(options = {}) {
  const { FakeSocket, sockets } = fakeWebSocket();
  const timers = fakeTimers();
  const received = [];
  const states = [];
  const socket = connectRun("/ws/runs/abc/", {
    WebSocketImpl: FakeSocket,
    location: PAGE,
    timers,
    after: options.after,
    handlers: { events: (list) => received.push(...list.map((e) => e.seq)), ...options.handlers },
    onStatus: (state, info) => states.push(info.delayMs ? `${state}:${info.delayMs}` : state),
  });
  return { socket, sockets, timers, received, states };
}

test("socketUrl follows the page's protocol and sets after", () => {
  assert.equal(socketUrl("/ws/runs/abc/", -1, PAGE), "ws://class.local:8000/ws/runs/abc/?after=-1");
  const https = { href: "https://class.example/runs/abc/", protocol: "https:" };
  assert.equal(socketUrl("/ws/runs/abc/", 41, https), "wss://class.example/ws/runs/abc/?after=41");
});

test("backoff doubles from 0.5 s up to 8 s", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(backoffDelay), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
});

test("events are delivered once, in order; duplicates are dropped", () => {
  const { sockets, received, states } = start();
  sockets[0].open();
  sockets[0].send(events(0, 1, 2));
  sockets[0].send(events(1, 2, 3));
  assert.deepEqual(received, [0, 1, 2, 3]);
  assert.deepEqual(states, ["connecting", "live"]);
});

test("a gap reconnects at once with after = the last contiguous seq", () => {
  const { socket, sockets, timers, received, states } = start();
  sockets[0].open();
  sockets[0].send(events(0, 1, 3, 4));
  assert.deepEqual(received, [0, 1]);
  assert.equal(sockets[0].closedWith, 1000);
  assert.deepEqual(timers.delays, [0]);
  timers.runAll();
  assert.match(sockets[1].url, /\?after=1$/);
  assert.equal(socket.lastSeq, 1);
  sockets[1].open();
  sockets[1].send(events(2, 3, 4));
  assert.deepEqual(received, [0, 1, 2, 3, 4]);
  assert.deepEqual(states, ["connecting", "live", "reconnecting", "live"]);
});

test("a dropped socket reconnects with back-off and resumes after the last seq", () => {
  const { sockets, timers, states } = start();
  sockets[0].open();
  sockets[0].send(events(0, 1));
  sockets[0].drop();
  timers.runAll();
  sockets[1].drop(); // the server is still down
  timers.runAll();
  sockets[2].drop();
  timers.runAll();
  assert.deepEqual(timers.delays, [500, 1000, 2000]);
  assert.ok(sockets.slice(1).every((s) => s.url.endsWith("?after=1")));
  sockets[3].open(); // back: the next drop starts from 0.5 s again
  sockets[3].drop();
  assert.deepEqual(timers.delays, [500, 1000, 2000, 500]);
  assert.deepEqual(states.slice(0, 4), ["connecting", "live", "reconnecting:500", "reconnecting"]);
});

test("starts after a given seq", () => {
  const { sockets } = start({ after: 9 });
  assert.match(sockets[0].url, /\?after=9$/);
});

test("close() stops for good: no reconnect, no more events", () => {
  const { socket, sockets, timers, received, states } = start();
  sockets[0].open();
  const first = sockets[0];
  socket.close();
  first.drop();
  first.send?.(events(0));
  assert.equal(timers.pending, 0);
  assert.equal(sockets.length, 1);
  assert.deepEqual(received, []);
  assert.equal(states.at(-1), "closed");
});

test("close() during a back-off cancels the pending reconnect", () => {
  const { socket, sockets, timers } = start();
  sockets[0].drop();
  assert.equal(timers.pending, 1);
  socket.close();
  assert.equal(timers.pending, 0);
});

test("an error message is handed on and ends the socket", () => {
  const errors = [];
  const { sockets, timers, states } = start({ handlers: { error: (message) => errors.push(message.error) } });
  sockets[0].open();
  sockets[0].send({ type: "error", error: "no such run: abc" });
  sockets[0].drop();
  assert.deepEqual(errors, ["no such run: abc"]);
  assert.equal(timers.pending, 0);
  assert.equal(states.at(-1), "closed");
});

test("other message types go to their handler; unknown ones are ignored", () => {
  const seen = [];
  const { sockets, received } = start({ handlers: { hello: (m) => seen.push(m.who) } });
  sockets[0].open();
  sockets[0].send({ type: "hello", who: "server" });
  sockets[0].send({ type: "mystery" });
  sockets[0].onmessage({ data: "not json" });
  sockets[0].send(events(0));
  assert.deepEqual(seen, ["server"]);
  assert.deepEqual(received, [0]);
});

test("queue messages go to the queue handler, around the events, and leave seq alone", () => {
  const order = [];
  const { socket, sockets } = start({
    handlers: {
      queue: (m) => order.push(`queue ${m.place} ${m.eta_s}`),
      events: (list) => order.push(...list.map((e) => `event ${e.seq}`)),
    },
  });
  sockets[0].open();
  sockets[0].send({ type: "queue", place: 2, eta_s: 1.5 });
  sockets[0].send({ type: "queue", place: 1, eta_s: null });
  assert.equal(socket.lastSeq, -1);
  sockets[0].send(events(0, 1));
  assert.deepEqual(order, ["queue 2 1.5", "queue 1 null", "event 0", "event 1"]);
  assert.equal(socket.lastSeq, 1);
});

test("types that name no handler of the caller's own are ignored, not called", () => {
  const { socket, sockets, received, states } = start({ handlers: { queue: "not a function" } });
  sockets[0].open();
  for (const type of ["__proto__", "constructor", "toString", "hasOwnProperty", "queue", 7, null]) {
    assert.doesNotThrow(() => sockets[0].send({ type }), String(type));
  }
  sockets[0].onmessage({ data: "[]" });
  sockets[0].onmessage({ data: "null" });
  sockets[0].send(events(0));
  assert.deepEqual(received, [0]);
  assert.equal(socket.state, "live");
  assert.deepEqual(states, ["connecting", "live"]);
});

test("joined handler maps call every handler of a type, in order", async () => {
  const { joinHandlers } = await import("../../static/playground/socket.js");
  const calls = [];
  const joined = joinHandlers(
    { "class.hello": (m) => calls.push(["a", m.n]), "class.round": () => calls.push(["round"]) },
    {},
    { "class.hello": (m) => calls.push(["b", m.n]) },
  );
  joined["class.hello"]({ n: 1 });
  joined["class.round"]({});
  assert.deepEqual(calls, [["a", 1], ["b", 1], ["round"]]);
  assert.deepEqual(Object.keys(joined).sort(), ["class.hello", "class.round"]);
});
