/**
 * Drawing only: the model's lanes as bars on a <canvas>, its in-flight series on a
 * second one, and a tooltip. Nothing here changes the model.
 *
 *   markDirty() ──one requestAnimationFrame──> frame() ──> draw()
 *                  (while the run is live, every frame: open bars grow)
 *
 *   draw:  the grid and its tick labels (timeline-axes.js) ──> timeline canvas
 *          closed segments ──> cache canvas (only the new ones; all again on rescale)
 *          the event-loop lane (loop-lane.js, a run in its own process only) ──> above the requests
 *          cache + open segments + links, then the rules and lane labels (timeline-axes.js) ──> timeline canvas
 *          series ──> concurrency canvas (same time transform)
 *          every segment, the window's frame ──> minimap canvas (only while zoomed)
 *
 * Transforms, named:  time (s) ──timeToCss──> CSS px ──cssToDevice (x dpr)──> device px.
 * `window` (viewport.js) picks the stretch of time shown: null, the whole run.
 *
 * What a bar says (describeSegment; a blocked stretch of the loop: describeStretch) shows in
 * the tooltip, for the segment under the pointer or the one chosen by keyboard (timeline-keys.js:
 * the focused canvas, arrow keys); a keyboard choice is also put in words in `announcer`, a
 * live region, for screen readers.
 */

import { drawConcurrency } from "./concurrency-view.js";
import { drawLoopLane, LOOP_GAP, LOOP_LANE } from "./loop-lane.js";
import { describeStretch, isStretch, loopWatched, stretchAt } from "./loop-words.js";
import { drawMinimap } from "./minimap-view.js";
import { axisEnd, IDLE_DOMAIN_S } from "./scale.js";
import { describeSegment } from "./segment-words.js";
import { drawGrid, drawLaneLabels, drawMarkers } from "./timeline-axes.js";
import { nextSelection } from "./timeline-keys.js";
import { BarBatch, COLORS, OVERLAYS, createPaints, styleOf } from "./timeline-style.js";
import { centerOn, visible } from "./viewport.js";

// Layout in CSS px.
const GUTTER = 64; // lane labels; the strip's counts use the same width so times line up
const RIGHT = 20;
const TOP = 30; // two rows of marker labels: ideal, your guess
const AXIS = 24;
const LANE_MAX = 26; // few tasks: comfortable lanes, not a stretched canvas
const PLOT_MIN = 90;
const STRIP_HEIGHT = 76;
const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MINIMAP_HEIGHT = 40;
const MINIMAP_REDRAW_MS = 250; // while live, the overview of every bar is redrawn this often
const INVITATION = "Press Run: each request becomes a bar here."; // an empty timeline's text, unless placeholder is set

export function createTimelineView(options) {
  return new TimelineView(options);
}

class TimelineView {
  /**
   * plotMaxCss: the tallest the lanes may grow (CSS px); null: a share of the window's height.
   * textScale: labels this much larger (a page meant to be projected).
   */
  constructor({ canvas, strip, tooltip, announcer = null, model, minimap = null, clock = () => performance.now(), plotMaxCss = null, textScale = 1 }) {
    Object.assign(this, { canvas, strip, tooltip, announcer, model, minimap, clock, plotMaxCss, textScale });
    this.window = null; // the stretch of time shown (viewport.js); null: the whole run
    // The axis end (s), held while a replay's cursor moves, or shared by the runs of a comparison; null: from the model.
    this.fixedDomain = null;
    this.minimapDrawn = { key: "", at: -Infinity };
    this.ctx = canvas.getContext("2d");
    this.stripCtx = strip?.getContext("2d") ?? null;
    this.cache = document.createElement("canvas");
    this.cacheCtx = this.cache.getContext("2d");
    this.cacheKey = "";
    this.paints = null;
    this.frames = 0; // for tests and curious learners: frames drawn so far
    this.lastFrameMs = 0;
    this.maxFrameMs = 0;
    this.raf = 0;
    this.dirty = false;
    this.hover = null;
    this.geometry = null;
    this.placeholder = null; // text on an empty timeline; null: the default invitation
    this.frame = this.frame.bind(this);
    this.resizeObserver = new ResizeObserver(() => this.markDirty());
    this.resizeObserver.observe(canvas.parentElement);
    canvas.addEventListener("pointermove", (event) => this.pointAt(event.offsetX, event.offsetY));
    canvas.addEventListener("pointerleave", () => this.pointAt(null, null));
    canvas.addEventListener("keydown", (event) => this.onKey(event));
    canvas.addEventListener("blur", () => this.choose(null));
  }

  /** Something changed: draw once, on the next animation frame. */
  markDirty() {
    this.dirty = true;
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  }

  frame() {
    this.raf = 0;
    if (!this.dirty) return;
    this.dirty = false;
    const started = performance.now();
    this.draw();
    this.lastFrameMs = performance.now() - started;
    this.maxFrameMs = Math.max(this.maxFrameMs, this.lastFrameMs);
    this.frames += 1;
    if (this.model.ticking) this.markDirty(); // live: open bars grow every frame
  }

  /** Sizes, scales and transforms for this frame (device px unless named css). */
  layout(now) {
    const model = this.model;
    const dpr = window.devicePixelRatio || 1;
    const lanes = Math.max(model.laneCount, 1);
    const cssW = Math.max(this.canvas.parentElement.clientWidth, 200);
    const plotMax = this.plotMaxCss ?? Math.max(PLOT_MIN, Math.min(520, Math.round(window.innerHeight * 0.55)));
    const plotCss = model.laneCount ? Math.min(plotMax, Math.max(PLOT_MIN, lanes * LANE_MAX)) : PLOT_MIN;
    const loopCss = loopWatched(model) ? LOOP_LANE + LOOP_GAP : 0; // the event-loop lane, above the requests
    const cssH = TOP + loopCss + plotCss + AXIS;
    resize(this.canvas, cssW, cssH, dpr);
    if (this.strip) resize(this.strip, cssW, STRIP_HEIGHT, dpr);

    const domain = this.fixedDomain ?? (model.status === "idle" ? IDLE_DOMAIN_S : axisEnd(model, now));
    const [from, to] = visible(this.window, domain);
    const x0 = GUTTER * dpr;
    const plotW = (cssW - GUTTER - RIGHT) * dpr;
    const step = (plotCss * dpr) / lanes;
    const gap = step >= 8 * dpr ? Math.min(step * 0.25, 6 * dpr) : step >= 4 * dpr ? dpr : 0;
    const timeToCss = (t) => GUTTER + ((t - from) / (to - from)) * (cssW - GUTTER - RIGHT);
    const cssToDevice = (x) => x * dpr;
    return {
      dpr, cssW, cssH, domain, from, to, lanes, step, gap, x0, plotW, marginRight: RIGHT * dpr,
      px: (size) => size * dpr * this.textScale, // a label's font size, CSS px -> device px
      // markTop: where the rules and the grid begin (the loop lane's top, else the requests');
      // top: the first request's lane.
      markTop: TOP * dpr, loopTop: TOP * dpr, loopH: loopCss ? LOOP_LANE * dpr : 0,
      top: (TOP + loopCss) * dpr, plotH: plotCss * dpr,
      timeToCss, cssToDevice,
      // The hot path composes the two transforms into one multiply-add.
      a: cssToDevice(timeToCss(1)) - cssToDevice(timeToCss(0)),
      b: cssToDevice(timeToCss(0)),
    };
  }

  draw() {
    const model = this.model;
    const now = model.nowAt(this.clock());
    const g = (this.geometry = this.layout(now));
    const ctx = this.ctx;
    if (this.paints?.dpr !== g.dpr) this.paints = { ...createPaints(ctx, g.dpr), dpr: g.dpr };
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    drawGrid(ctx, g, model, FONT, this.placeholder ?? INVITATION);
    this.updateCache(g);
    if (g.loopH) drawLoopLane(ctx, g, model, now, this.paints, FONT); // outside the zoom's clip: its label is in the gutter
    ctx.save();
    if (this.window) {
      // Zoomed: bars reaching past either edge are cut there, not drawn over the labels.
      ctx.beginPath();
      ctx.rect(g.x0, 0, g.plotW, this.canvas.height);
      ctx.clip();
    }
    ctx.drawImage(this.cache, 0, 0);
    const open = new BarBatch(g.dpr);
    for (const segment of model.open) this.addSegment(open, segment, g, now);
    open.fill(ctx, this.paints);
    this.drawHover(ctx, g, now);
    ctx.restore();
    drawMarkers(ctx, g, model, now, FONT);
    drawLaneLabels(ctx, g, model, FONT);
    if (this.stripCtx) {
      const frame = { dpr: g.dpr, width: this.strip.width, height: this.strip.height, x0: g.x0, plotW: g.plotW, from: g.from, to: g.to, cursor: model.running ? now : null, textScale: this.textScale };
      drawConcurrency(this.stripCtx, frame, model, now);
    }
    this.drawMinimap(g, now);
    this.updateTooltip(now);
  }

  /** Closed segments never change: draw each once, until the scale changes. */
  updateCache(g) {
    const model = this.model;
    const key = [model.epoch, this.canvas.width, this.canvas.height, g.dpr, g.from, g.to, g.lanes, g.top].join("|");
    if (key !== this.cacheKey || this.cacheModel !== model) {
      this.cacheKey = key;
      this.cacheModel = model; // another model (a replay's) starts its own epochs
      this.cache.width = this.canvas.width;
      this.cache.height = this.canvas.height;
      this.cachedClosed = 0;
      this.cachedLinks = 0;
    }
    if (this.cachedClosed === model.closed.length && this.cachedLinks === model.links.length) return;
    const batch = new BarBatch(g.dpr);
    for (let i = this.cachedClosed; i < model.closed.length; i += 1) this.addSegment(batch, model.closed[i], g, 0);
    if (g.step >= 6 * g.dpr) {
      for (let i = this.cachedLinks; i < model.links.length; i += 1) {
        const { from, to, task } = model.links[i];
        const y = g.top + task * g.step + g.gap / 2;
        batch.addLink(g.a * (from.end ?? to.start) + g.b, g.a * to.start + g.b, y + 0.5, y + (g.step - g.gap) / 2);
      }
    }
    this.cachedClosed = model.closed.length;
    this.cachedLinks = model.links.length;
    batch.fill(this.cacheCtx, this.paints);
  }

  addSegment(batch, segment, g, now) {
    const end = segment.end ?? now;
    const x = g.a * segment.start + g.b;
    const y = g.top + segment.task * g.step + g.gap / 2;
    batch.add(styleOf(segment), x, y, g.a * end + g.b - x, g.step - g.gap);
    for (const phase of segment.phases ?? []) {
      if (!OVERLAYS.includes(phase.name)) continue; // the wait is the bar itself, in its outcome's colour
      const px = g.a * phase.start + g.b;
      batch.add(phase.name, px, y, g.a * phase.end + g.b - px, g.step - g.gap);
    }
  }

  drawHover(ctx, g, now) {
    const segment = this.hover;
    if (!segment) return;
    const loop = isStretch(segment);
    const x = g.a * segment.start + g.b;
    const y = loop ? g.loopTop : g.top + segment.task * g.step + g.gap / 2;
    const h = loop ? g.loopH : Math.max(g.step - g.gap, g.dpr);
    const w = Math.max(g.a * ((segment.end ?? now) - segment.start), g.dpr);
    ctx.strokeStyle = COLORS.black;
    ctx.lineWidth = 2 * g.dpr;
    ctx.strokeRect(x - g.dpr, y - g.dpr, w + 2 * g.dpr, h + 2 * g.dpr);
  }

  /** While zoomed: the whole run under the strip (minimap-view.js), redrawn when it changed. */
  drawMinimap(g, now) {
    const canvas = this.minimap;
    if (!canvas) return;
    const wrap = canvas.parentElement;
    if (!this.window) {
      if (!wrap.hidden) wrap.hidden = true;
      this.minimapDrawn.key = "";
      return;
    }
    wrap.hidden = false;
    resize(canvas, g.cssW, MINIMAP_HEIGHT, g.dpr);
    // Live, bars change every frame: redrawn every MINIMAP_REDRAW_MS. Otherwise (over, or a
    // replay's paused cursor) only when the model, its "now" or the window changed.
    const changes = this.model.ticking ? "live" : [this.model.version, now].join("|");
    const key = [this.model.epoch, canvas.width, g.domain, g.from, g.to, changes].join("|");
    const at = this.clock();
    const same = key === this.minimapDrawn.key && this.minimapDrawn.model === this.model;
    if (same && (!this.model.ticking || at - this.minimapDrawn.at < MINIMAP_REDRAW_MS)) return;
    this.minimapDrawn = { key, at, model: this.model };
    drawMinimap(canvas.getContext("2d"), { ...g, width: canvas.width, height: canvas.height, paints: this.paints, font: FONT }, this.model, now);
  }

  /** The time (s) under CSS x on the timeline; clamped to what is shown. */
  timeAt(cssX) {
    const g = this.geometry;
    if (!g) return 0;
    const t = g.from + ((cssX - GUTTER) / (g.cssW - GUTTER - RIGHT)) * (g.to - g.from);
    return Math.min(Math.max(t, g.from), g.to);
  }

  /** The time (s) under CSS x on the minimap (the whole run). */
  minimapTimeAt(cssX) {
    const g = this.geometry;
    if (!g) return 0;
    return Math.min(Math.max(((cssX - GUTTER) / (g.cssW - GUTTER - RIGHT)) * g.domain, 0), g.domain);
  }

  /** Draw another model (a replay's, as of its cursor): nothing chosen or hovered carries over. */
  setModel(model) {
    if (model === this.model) return this.markDirty();
    this.choose(null);
    this.hover = null;
    this.pointer = null;
    this.model = model;
    this.markDirty();
  }

  /** Show `window` (viewport.js; null: the whole run). */
  setWindow(window) {
    this.window = window;
    this.markDirty();
  }

  /** Pointer at CSS (x, y) over the canvas, or null: find the segment under it. */
  pointAt(x, y) {
    const g = this.geometry;
    let segment = null;
    if (x !== null && x >= GUTTER && g) {
      const t = (x * g.dpr - g.b) / g.a;
      const tolerance = (3 * g.dpr) / g.a; // three CSS px either side: thin bars stay hoverable
      const now = this.model.nowAt(this.clock());
      if (g.loopH && y * g.dpr >= g.loopTop && y * g.dpr < g.loopTop + g.loopH) {
        segment = stretchAt(this.model.loopBlocked, t, now, tolerance);
      } else if (this.model.laneCount) {
        segment = this.model.hitTest(t, Math.floor((y * g.dpr - g.top) / g.step), now, tolerance);
      }
    }
    if (!segment && this.pointer?.keyed) return; // the pointer passing by leaves a keyboard choice
    this.pointer = segment ? { x, y } : null;
    if (segment !== this.hover) {
      this.hover = segment;
      this.markDirty();
    }
    this.updateTooltip(this.model.nowAt(this.clock()));
  }

  /** A key pressed on the focused canvas: select the segment it leads to (timeline-keys.js). */
  onKey(event) {
    // Shift + arrows pan a zoomed timeline (zoom-controls.js); plain arrows choose a bar.
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const stretches = loopWatched(this.model) ? this.model.loopBlocked : [];
    const segment = nextSelection(this.model, this.pointer?.keyed ? this.hover : null, event.key, stretches);
    if (segment === undefined) return;
    event.preventDefault(); // the arrows move the selection, not the page
    this.choose(segment);
  }

  /** Select `segment` (or nothing) as the keyboard's: outlined, its tooltip shown and its words announced. */
  choose(segment) {
    if (!segment && !this.pointer?.keyed) return;
    const g = this.geometry;
    if (segment && this.window && g && (segment.start < g.from || segment.start > g.to)) {
      this.window = centerOn(this.window, g.domain, segment.start); // zoomed: bring the chosen bar into view
    }
    this.pointer = segment ? { keyed: true } : null;
    this.hover = segment;
    this.markDirty();
    const now = this.model.nowAt(this.clock());
    this.updateTooltip(now);
    if (this.announcer) this.announcer.textContent = segment ? this.describe(segment, now).join(". ") : "";
  }

  describe(segment, now) {
    if (isStretch(segment)) return describeStretch(segment);
    const { waitWords, phaseWords } = this.model;
    return describeSegment(segment, { now, rank: this.model.completionRank(segment.task), waitWords, phaseWords });
  }

  /** Where the tooltip points (CSS px): the pointer, or below the start of a keyboard-chosen bar. */
  anchor() {
    if (!this.pointer?.keyed) return this.pointer;
    const g = this.geometry;
    if (!g) return null;
    const below = isStretch(this.hover) ? g.loopTop + g.loopH : g.top + (this.hover.task + 1) * g.step;
    return { x: (g.a * this.hover.start + g.b) / g.dpr, y: below / g.dpr };
  }

  updateTooltip(now) {
    const tip = this.tooltip;
    if (!tip) return;
    const at = this.hover && this.anchor();
    if (!at) {
      tip.hidden = true;
      return;
    }
    const lines = this.describe(this.hover, now);
    tip.replaceChildren(...lines.map((line, i) => Object.assign(document.createElement(i ? "div" : "strong"), { textContent: line })));
    tip.hidden = false;
    const left = Math.min(at.x + 14, this.canvas.clientWidth - tip.offsetWidth - 4);
    const top = at.y + 16 + tip.offsetHeight > this.canvas.clientHeight ? at.y - tip.offsetHeight - 8 : at.y + 16;
    tip.style.transform = `translate(${Math.max(0, left)}px, ${Math.max(0, top)}px)`;
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.resizeObserver.disconnect();
  }
}

/** Backing store = CSS size x devicePixelRatio; touching width clears, so only on change. */
function resize(canvas, cssW, cssH, dpr) {
  const width = Math.round(cssW * dpr);
  const height = Math.round(cssH * dpr);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
    canvas.style.height = `${cssH}px`;
  }
}
