/**
 * A finished run's downloads: its export in three formats (GET /api/runs/<id>/export,
 * playground/runs/export.py) and a PNG of the timeline as drawn.
 *
 *   run ends ──show(run, strategy)──> [data-export=json|csv|trace].href = the endpoint
 *   click on [data-export=png] ──> the timeline canvas on white ──toDataURL──> its href, downloaded
 */

/** The export endpoint's URL for `format` (pure: Node tests it). */
export function exportUrl(apiRuns, runId, format) {
  return `${apiRuns}/${encodeURIComponent(runId)}/export?format=${encodeURIComponent(format)}`;
}

/** `run-<strategy>-<id>.png`, as the server names the other downloads. */
export function pngName(runId, strategy) {
  return `run-${strategy || "run"}-${runId}.png`;
}

/** `container`: holds a[data-export]; `canvas`: the timeline. */
export function createDownloads(container, { canvas, apiRuns = "/api/runs" }) {
  if (!container) return { show() {} };
  const links = [...container.querySelectorAll("a[data-export]")];
  const png = links.find((link) => link.dataset.export === "png");
  png?.addEventListener("click", () => {
    // Drawn now, on the click: the picture is the timeline as it is on screen.
    png.href = snapshot(canvas);
  });
  return {
    /** Offer `run`'s downloads (once it has ended); null hides them. */
    show(run, strategy = null) {
      container.hidden = !run;
      if (!run) return;
      for (const link of links) {
        const format = link.dataset.export;
        if (format === "png") link.download = pngName(run.id, strategy);
        else link.href = exportUrl(apiRuns, run.id, format);
      }
    },
  };
}

/** The canvas on a white ground (its margins are transparent), as a PNG data: URL. */
function snapshot(canvas) {
  const copy = document.createElement("canvas");
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(canvas, 0, 0);
  return copy.toDataURL("image/png");
}
