/**
 * How a segment looks: a colour AND a pattern per phase/status, so a learner who
 * cannot tell the colours apart can still tell the bars apart.
 *
 *   segment ──styleOf()──> key ──BarBatch.add()──> one Path2D per paint ──fill()
 *
 * Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies).
 * Everything here is in device pixels; the view converts before calling add().
 */

export const COLORS = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
  ink: "#1d2430",
  grid: "#e3e6eb",
  muted: "#6b7280",
};

/**
 * Every look: its words for the legend and how it is painted. Keyed by phase (waiting,
 * flight, backoff), by the task statuses the server sends (playground/events.py
 * TASK_STATUSES, in the boot data's vocabulary) and by "link". The words themselves come
 * from the server; this table only says how each one looks (missingLooks() finds gaps).
 * paint(kit) gives a fill style; kit.tile and kit.diagonal draw patterns for one canvas.
 */
export const LOOKS = {
  waiting: {
    label: "waiting",
    paint: ({ tile, diagonal }) =>
      tile(6, (c, s) => {
        c.fillStyle = "#fbeec9";
        c.fillRect(0, 0, s, s);
        diagonal(c, s, COLORS.orange, 1.1, true);
      }),
  },
  flight: { label: "in flight", hint: "request sent, no answer yet", paint: () => COLORS.sky },
  // A finished request's phases, drawn over its outcome's colour (which is the wait for the answer).
  connect: {
    label: "connecting",
    hint: "a new connection: DNS, TCP, TLS (none when a pooled one is reused)",
    paint: ({ tile }) =>
      tile(4, (c, s) => {
        c.fillStyle = COLORS.yellow;
        c.fillRect(0, 0, s, s);
        c.fillStyle = COLORS.ink; // upright bars: told apart from the diagonals without colour
        c.fillRect(0, 0, Math.max(1, s / 4), s);
      }),
  },
  read: { label: "reading", hint: "the answer's body being read, after its headers", paint: () => COLORS.green },
  ok: { label: "ok", paint: () => COLORS.blue },
  error: {
    label: "error",
    hint: "dotted: HTTP error (429/503 included) or connection failure",
    // Dots, not only a darker colour: ink and ok's blue are 3:1 apart, too close to tell by colour alone.
    paint: ({ tile }) =>
      tile(6, (c, s) => {
        c.fillStyle = COLORS.ink;
        c.fillRect(0, 0, s, s);
        c.fillStyle = "#ffffff";
        const dot = Math.max(1, Math.round(s / 4));
        c.fillRect(Math.round(s / 4), Math.round(s / 4), dot, dot);
      }),
  },
  timeout: {
    label: "timed out",
    hint: "stripes and an end cap: the client gave up",
    paint: ({ tile, diagonal }) =>
      tile(8, (c, s) => {
        c.fillStyle = COLORS.vermillion;
        c.fillRect(0, 0, s, s);
        diagonal(c, s, "rgba(255,255,255,0.55)", 1.5, false);
      }),
  },
  cancelled: {
    label: "cancelled",
    hint: "cross-hatched: stopped before an answer; a cancelled wait ends in a grey cap",
    paint: ({ tile, diagonal }) =>
      tile(6, (c, s) => {
        c.fillStyle = "#f3f4f6";
        c.fillRect(0, 0, s, s);
        diagonal(c, s, "#9ca3af", 0.8, true);
        diagonal(c, s, "#9ca3af", 0.8, false);
      }),
  },
  backoff: {
    label: "back-off",
    hint: "dashed: the pause before a retry",
    paint: ({ tile }) =>
      tile(4, (c, s) => {
        c.fillStyle = COLORS.purple;
        c.fillRect(0, 0, s / 2, s); // dashes: half on, half off
      }),
  },
  link: { label: "retry", hint: "joins one attempt to the next", paint: () => COLORS.purple },
  // The event-loop lane (loop-lane.js), above the requests of a run in a process of its own.
  "loop-free": { label: "event loop free", hint: "top lane, light: the loop could run any task that was ready", paint: () => "#d9eee6" },
  "loop-blocked": {
    label: "event loop blocked",
    hint: "top lane, red bricks: the loop ran nothing (20 ms or more), every other task waited",
    // Bricks, not only a strong colour: a wall, told apart from timeout's stripes without colour.
    paint: ({ tile }) =>
      tile(8, (c, s) => {
        c.fillStyle = COLORS.vermillion;
        c.fillRect(0, 0, s, s);
        c.fillStyle = "#4a1a00";
        const line = Math.max(1, Math.round(s / 8));
        c.fillRect(0, 0, s, line);
        c.fillRect(0, s / 2, s, line);
        c.fillRect(0, 0, line, s / 2);
        c.fillRect(s / 2, s / 2, line, s / 2);
      }),
  },
};


/** The server's task statuses this file has no look for. */
export function missingLooks(vocabulary) {
  return vocabulary.task_statuses.filter((status) => !Object.hasOwn(LOOKS, status));
}

/** The look of a segment. A flight still open when the run ended counts as cancelled. */
export function styleOf(segment) {
  if (segment.phase === "waiting") return segment.status || segment.cut ? "waiting-cut" : "waiting";
  if (segment.phase === "backoff") return "backoff";
  if (segment.status) return segment.status;
  return segment.cut ? "cancelled" : "flight";
}

// Looks that are not a flight; every other look (a flight, its outcome) is at least a pixel wide.
const NOT_FLIGHT = new Set(["waiting", "waiting-cut", "backoff", "connect", "read", "loop-free"]);
// A flight's phases: filled after every other look, so they lie on top of their bar.
export const OVERLAYS = ["connect", "read"];

/** Fill styles for one canvas at one devicePixelRatio, by look; plus the cap and outline. */
export function createPaints(ctx, dpr) {
  const tile = (size, draw) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = Math.max(2, Math.round(size * dpr));
    draw(canvas.getContext("2d"), canvas.width);
    return ctx.createPattern(canvas, "repeat");
  };
  const diagonal = (c, s, color, width, rising) => {
    c.strokeStyle = color;
    c.lineWidth = width * dpr;
    c.beginPath();
    for (const k of [-s, 0, s]) {
      if (rising) {
        c.moveTo(k, s);
        c.lineTo(k + s, 0);
      } else {
        c.moveTo(k, 0);
        c.lineTo(k + s, s);
      }
    }
    c.stroke();
  };
  const looks = Object.entries(LOOKS).map(([key, look]) => [key, look.paint({ tile, diagonal })]);
  return { ...Object.fromEntries(looks), cap: COLORS.black, outline: "#6b7280" };
}

/** Bars batched by look: add() many, then fill() once per paint. */
export class BarBatch {
  constructor(dpr) {
    this.dpr = dpr;
    this.paths = new Map();
    this.outlines = null;
    this.links = null;
  }

  path(key) {
    let path = this.paths.get(key);
    if (!path) this.paths.set(key, (path = new Path2D()));
    return path;
  }

  /** A bar of look `key` in device px; flights get at least one pixel of width. */
  add(key, x, y, w, h) {
    const dpr = this.dpr;
    if (!NOT_FLIGHT.has(key)) w = Math.max(w, 1);
    else if (w <= 0) return;
    if (h < 1) {
      // Lanes thinner than a device pixel: whole pixel rows, or every colour fades to pastel.
      y = Math.floor(y);
      h = 1;
    }
    if (key === "backoff") {
      const thin = Math.min(h, Math.max(1, h * 0.3));
      this.path(key).rect(x, y + (h - thin) / 2, w, thin);
      return;
    }
    if (key === "waiting-cut") {
      // A wait that never got its turn: the hatch, closed by a grey cap.
      this.path("waiting").rect(x, y, w, h);
      const cap = Math.min(w, 2 * dpr);
      this.path("outline").rect(x + w - cap, y, cap, h);
      return;
    }
    this.path(key).rect(x, y, w, h);
    if (key === "timeout" && w >= 3) {
      const cap = Math.min(w / 2, 2 * dpr);
      this.path("cap").rect(x + w - cap, y, cap, h);
    } else if (key === "cancelled" && h >= 3 && w >= 3) {
      (this.outlines ??= new Path2D()).rect(x + 0.5, y + 0.5, w - 1, h - 1);
    }
  }

  /** A retry connector: a bracket over the lane from one attempt's end to the next start. */
  addLink(x1, x2, yTop, yMid) {
    const path = (this.links ??= new Path2D());
    path.moveTo(x1, yMid);
    path.lineTo(x1, yTop);
    path.lineTo(x2, yTop);
    path.lineTo(x2, yMid);
  }

  fill(ctx, paints) {
    const last = OVERLAYS.filter((key) => this.paths.has(key));
    for (const [key, path] of this.paths) {
      if (OVERLAYS.includes(key)) continue;
      ctx.fillStyle = paints[key];
      ctx.fill(path);
    }
    for (const key of last) {
      ctx.fillStyle = paints[key];
      ctx.fill(this.paths.get(key));
    }
    if (this.outlines) {
      ctx.strokeStyle = paints.outline;
      ctx.lineWidth = 1;
      ctx.stroke(this.outlines);
    }
    if (this.links) {
      ctx.strokeStyle = paints.link;
      ctx.lineWidth = Math.max(1, this.dpr);
      ctx.stroke(this.links);
    }
  }
}

/** A small canvas showing one look, for the HTML legend. */
export function swatch(key, dpr = globalThis.devicePixelRatio || 1) {
  const canvas = document.createElement("canvas");
  const [w, h] = [28, 12];
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  canvas.setAttribute("aria-hidden", "true");
  const ctx = canvas.getContext("2d");
  const batch = new BarBatch(dpr);
  if (key === "link") {
    batch.add("backoff", 6 * dpr, 3 * dpr, 16 * dpr, 8 * dpr);
    batch.addLink(3 * dpr, 25 * dpr, 2 * dpr, 11 * dpr);
  } else {
    batch.add(key, 0, 1 * dpr, canvas.width, 10 * dpr);
  }
  batch.fill(ctx, createPaints(ctx, dpr));
  return canvas;
}
