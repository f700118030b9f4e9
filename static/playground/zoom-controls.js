/**
 * Zoom and pan on the timeline: pointer, wheel, keyboard and buttons -> viewport.js -> view.setWindow.
 *
 *   wheel (or a trackpad pinch) over the timeline   zoom around the pointer
 *   shift + wheel, or a sideways wheel               pan
 *   drag on the timeline                              pan
 *   click or drag on the minimap                      move the window there
 *   keys on the focused timeline: + and - zoom, shift + left/right pan, 0 shows the whole run
 *   buttons: zoom in, zoom out, whole run (and the zoom level between them)
 */

import { centerOn, PAN_FRACTION, panBy, STEP, visible, zoomAt, zoomLevel } from "./viewport.js";

const DRAG_THRESHOLD_PX = 4; // a click (hovering a bar) is not a drag
const WHEEL_ZOOM = 0.002; // per wheel pixel: one notch (100 px) zooms about 1.2x
const PINCH_ZOOM = 0.01; // a pinch arrives as a ctrl + wheel with small deltas

export function attachZoom({ view, canvas, minimap, zoomIn, zoomOut, reset, level }) {
  const domain = () => view.geometry?.domain ?? 1;
  const shown = () => visible(view.window, domain());
  const set = (window) => {
    view.setWindow(window);
    const zoomed = window !== null;
    reset.disabled = !zoomed;
    zoomOut.disabled = !zoomed;
    level.textContent = zoomLevel(window, domain());
    canvas.classList.toggle("zoomed", zoomed);
  };
  const zoomBy = (factor, anchor) => set(zoomAt(view.window, domain(), factor, anchor));
  const middle = () => {
    const [from, to] = shown();
    return (from + to) / 2;
  };
  const panByFraction = (fraction) => {
    const [from, to] = shown();
    set(panBy(view.window, domain(), fraction * (to - from)));
  };

  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const px = event.deltaMode === 1 ? 16 : 1; // lines -> pixels
      const dx = event.deltaX * px;
      const dy = event.deltaY * px;
      if (event.shiftKey || Math.abs(dx) > Math.abs(dy)) {
        const [from, to] = shown();
        const plotPx = canvas.clientWidth || 1;
        return set(panBy(view.window, domain(), ((event.shiftKey ? dy || dx : dx) / plotPx) * (to - from)));
      }
      zoomBy(Math.exp(-dy * (event.ctrlKey ? PINCH_ZOOM : WHEEL_ZOOM)), view.timeAt(event.offsetX));
    },
    { passive: false },
  );

  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !view.window) return;
    drag = { x: event.clientX, window: view.window, moved: false, id: event.pointerId };
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < DRAG_THRESHOLD_PX) return;
    if (!drag.moved) {
      drag.moved = true;
      canvas.setPointerCapture(event.pointerId);
      canvas.classList.add("panning");
    }
    const [from, to] = visible(drag.window, domain());
    const plotPx = view.geometry ? view.geometry.plotW / view.geometry.dpr : canvas.clientWidth;
    set(panBy(drag.window, domain(), (-dx / plotPx) * (to - from)));
  });
  const endDrag = () => {
    drag = null;
    canvas.classList.remove("panning");
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);

  canvas.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    let handled = true;
    if (event.key === "+" || event.key === "=") zoomBy(STEP, middle());
    else if (event.key === "-" || event.key === "_") zoomBy(1 / STEP, middle());
    else if (event.key === "0") set(null);
    else if (event.shiftKey && event.key === "ArrowLeft") panByFraction(-PAN_FRACTION);
    else if (event.shiftKey && event.key === "ArrowRight") panByFraction(PAN_FRACTION);
    else handled = false;
    if (handled) event.preventDefault();
  });

  let minimapDrag = null;
  const moveTo = (event) => set(centerOn(view.window, domain(), view.minimapTimeAt(event.offsetX)));
  minimap.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !view.window) return;
    minimapDrag = event.pointerId;
    minimap.setPointerCapture(event.pointerId);
    moveTo(event);
  });
  minimap.addEventListener("pointermove", (event) => {
    if (minimapDrag === event.pointerId) moveTo(event);
  });
  minimap.addEventListener("pointerup", () => (minimapDrag = null));
  minimap.addEventListener("pointercancel", () => (minimapDrag = null));

  zoomIn.addEventListener("click", () => zoomBy(STEP, middle()));
  zoomOut.addEventListener("click", () => zoomBy(1 / STEP, middle()));
  reset.addEventListener("click", () => set(null));

  return { reset: () => set(null) };
}
