// Order statistics for latency samples and for per-round figures.

/** Linear-interpolated percentile (p in 0..100) of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export function median(values) {
  return percentile(Float64Array.from(values).sort(), 50);
}

/** p50 / p99 / mean of latency samples in ms. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / sorted.length };
}

/**
 * Interleaved rounds compared: the median of each side over its rounds, their ratio
 * (hangar ÷ direct) and difference (hangar − direct). Interleaving gives both sides the same
 * share of the machine's drifts; medians keep one disturbed round from deciding. No ratio
 * against zero: a short run can read 0 µs of CPU per call from /proc's 10 ms ticks.
 */
export function compare(direct, hangar) {
  const d = median(direct);
  const h = median(hangar);
  return { direct: d, hangar: h, ratio: d === 0 ? undefined : h / d, added: h - d };
}
