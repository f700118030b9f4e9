/**
 * Drawing only: a round's histogram (round-model.js histogram()) as SVG, with two marked lines,
 * the measured wall time (solid) and the ideal (dashed), on the model's axis (linear or log); the bars holding a closest guess get a
 * star, the viewer's own bar its own colour.
 *
 *   drawHistogram(svg, model, {label}) -> redraws `svg` (an <svg> element) from scratch
 */

import { axisFraction, duration } from "./round-model.js";

const NS = "http://www.w3.org/2000/svg";
const W = 640; // viewBox units; the SVG scales to its box
const H = 240;
const PAD = { left: 36, right: 16, top: 34, bottom: 34 };

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text != null) node.textContent = text;
  return node;
}

export function drawHistogram(svg, model, { label = "" } = {}) {
  const more = model.bins.some((b) => b.more);
  const slots = model.bins.length; // the "more" bar, if any, gets one slot past the axis's end
  const plotW = W - PAD.left - PAD.right;
  const axisW = more ? plotW * (1 - 1 / slots) : plotW;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (ms) => PAD.left + axisFraction(model, ms) * axisW;
  const y = (count) => PAD.top + plotH - (count / model.tallest) * plotH;
  const nodes = [el("title", {}, label)];

  nodes.push(el("line", { class: "round-axis", x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }));
  for (const ms of model.ticks) {
    nodes.push(el("text", { class: "round-tick", x: x(ms), y: H - 12, "text-anchor": "middle" }, duration(ms)));
  }
  const moreW = plotW - axisW;
  if (more) {
    nodes.push(el("text", { class: "round-tick", x: W - PAD.right - moreW / 2, y: H - 12, "text-anchor": "middle" }, "more"));
  }
  for (const bin of model.bins) {
    if (!bin.count) continue;
    const left = bin.more ? PAD.left + axisW : x(bin.lo);
    const barW = bin.more ? moreW : x(bin.hi) - x(bin.lo);
    const classes = ["round-bar", bin.mine ? "is-mine" : "", bin.closest ? "is-closest" : ""].filter(Boolean).join(" ");
    const top = y(bin.count);
    nodes.push(el("rect", { class: classes, x: left + 1, y: top, width: Math.max(barW - 2, 1), height: PAD.top + plotH - top }));
    const count = bin.closest ? `★ ${bin.count}` : String(bin.count); // the star: a closest guess is in this bar
    nodes.push(el("text", { class: "round-count", x: left + barW / 2, y: top - 4, "text-anchor": "middle" }, count));
  }
  const mark = (ms, kind, words, row) => {
    if (ms == null) return;
    nodes.push(el("line", { class: `round-line round-${kind}`, x1: x(ms), x2: x(ms), y1: PAD.top - 6, y2: PAD.top + plotH }));
    const anchor = x(ms) > W * 0.7 ? "end" : "start";
    const at = { x: x(ms) + (anchor === "end" ? -4 : 4), y: 12 + row * 13, "text-anchor": anchor };
    nodes.push(el("text", { class: `round-label round-${kind}-label`, ...at }, words));
  };
  mark(model.ideal, "ideal", `ideal ${duration(model.ideal ?? 0)}`, 1);
  mark(model.wall, "wall", `measured ${duration(model.wall ?? 0)}`, 0);

  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.replaceChildren(...nodes);
}
