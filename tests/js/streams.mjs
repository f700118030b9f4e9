// Event streams the node tests share: numbered as the server numbers them.

/** Number the events 0, 1, 2, ... as the server does. */
export function stream(...events) {
  return events.map((event, seq) => ({ seq, ...event }));
}

// The lesson's example: three tasks of 0.3, 0.5 and 0.2 s run with gather.
export const THREE_TASKS = stream(
  { type: "run.started", t: 0, spec: { strategy: "gather", requests: 3, latencies_ms: [300, 500, 200] } },
  { type: "task.started", t: 0.001, task: 0, attempt: 1 },
  { type: "task.started", t: 0.002, task: 1, attempt: 1 },
  { type: "task.started", t: 0.003, task: 2, attempt: 1 },
  { type: "task.finished", t: 0.203, task: 2, attempt: 1, status: "ok", http_status: 200, error: null },
  { type: "task.finished", t: 0.301, task: 0, attempt: 1, status: "ok", http_status: 200, error: null },
  { type: "task.finished", t: 0.502, task: 1, attempt: 1, status: "ok", http_status: 200, error: null },
  { type: "run.finished", t: 0.503, status: "finished", error: null, summary: { wall_s: 0.503, max_in_flight: 3 } },
);
