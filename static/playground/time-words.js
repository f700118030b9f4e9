/**
 * Pure: a wall time in words, one way on every class page (the stage, the gallery, a round's guesses).
 *
 *   wallTime(850) -> "850 ms"   wallTime(1500) -> "1.5 s"   wallTime(12_340) -> "12.3 s"   wallTime(61_000) -> "1 min 1 s"
 */

/** A time in ms as a person says it: whole ms under a second, then s (3 significant digits), then min and s. */
export function wallTime(ms) {
  if (!Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** 1.234 -> "1.23", 12.34 -> "12.3": as many decimals as a glance needs. */
export function trim(x) {
  return x >= 10 ? String(Math.round(x * 10) / 10) : String(Math.round(x * 100) / 100);
}
