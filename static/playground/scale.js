/**
 * Numbers for axes and labels. Pure: testable in Node.
 *
 *   niceCeil(x)        the axis end: the next "round" value >= x (0.5, 0.6, 0.8, 1, ...)
 *   niceTicks(a, b, n) about n round tick values in [a, b] (steps of 1, 2 or 5 x 10^k)
 *   formatMs, formatTick, formatSeconds, formatRiseMb, ordinal   label text
 *   axisEnd(model, now)  where a run's time axis ends (s): a round value past now, or past its end
 */

// Axis ends grow through these mantissas: fine enough that a live run's bars never
// shrink by more than a quarter at once, coarse enough to rescale only now and then.
const CEIL_STEPS = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest value of CEIL_STEPS x 10^k that is >= x (x > 0). */
export function niceCeil(x) {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  const mantissa = x / power;
  // Rounding noise (0.3 / 0.1 = 2.9999999999999996) must not skip a step.
  const step = CEIL_STEPS.find((s) => s >= mantissa - 1e-9);
  return Number((step * power).toPrecision(12));
}

/** Round tick values covering [min, max], about `count` of them. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min) || !(count >= 1)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const step = (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * power;
  const ticks = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let i = first; i * step <= max + step * 1e-9; i += 1) {
    // Multiply rather than accumulate, and round off binary noise (0.30000000000000004).
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

/** Milliseconds for humans: "0", "250", "12,500"; below 10 ms one decimal. */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return "–";
  const abs = Math.abs(ms);
  const digits = abs !== 0 && abs < 10 ? 1 : 0;
  return ms.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** An axis tick's label: as many decimals as the step between ticks needs ("1,200", "1,200.5", "1,200.25"). */
export function formatTick(ms, stepMs) {
  const digits = stepMs > 0 && stepMs < 1 ? Math.min(3, Math.ceil(-Math.log10(stepMs) - 1e-9)) : 0;
  return ms.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Seconds for humans: "0.503 s", "12.4 s", "2 min 5 s". */
export function formatSeconds(s) {
  if (!Number.isFinite(s)) return "–";
  if (s >= 120) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s >= 10) return `${s.toFixed(1)} s`;
  return `${s.toFixed(3)} s`;
}

/** "+3.4 MB": how far memory rose, in MB (one decimal; whole MB from 100 on). */
export function formatRiseMb(mb) {
  const digits = Math.abs(mb) >= 100 ? 0 : 1;
  const size = Math.abs(mb).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${mb < 0 ? "−" : "+"}${size} MB`;
}

/** 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd". */
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] ?? "th";
  return `${n}${suffix}`;
}

// An empty timeline still shows a plausible axis (s).
export const IDLE_DOMAIN_S = 1;

/**
 * The time axis end (s), a round value: while live a little past now (so bars do not
 * touch the edge; it grows in steps, each one redrawing the cache); once over, past the
 * end and past the ideal and the guess when they are near enough to compare with.
 */
export function axisEnd(model, now) {
  const floor = Math.max(expectedSeconds(model.spec) * 1.1, 0.05);
  if (model.end === null) return niceCeil(Math.max(now * 1.1, floor));
  const guess = model.summary?.guess_s ?? (model.spec?.guess_ms ?? NaN) / 1000;
  const near = [model.summary?.ideal_s, guess].filter((t) => Number.isFinite(t) && t <= model.end * 2);
  return niceCeil(Math.max(model.end * 1.06, ...near.map((t) => t * 1.04), 0.05));
}

/** The longest single request the spec asks for (s): the axis starts at least this wide. */
function expectedSeconds(spec) {
  if (!spec) return 0;
  const latencies = Array.isArray(spec.latencies_ms) && spec.latencies_ms.length ? spec.latencies_ms : [spec.latency_ms ?? 0];
  return (Math.max(...latencies) + (spec.jitter_ms ?? 0)) / 1000;
}
