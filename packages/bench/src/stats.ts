/**
 * Summary statistics for evaluation over test episodes.
 */
import { MetaLearnError } from '@metalearn/core';

/** Mean and 95% confidence half-width of a sample. */
export interface MeanCi {
  readonly mean: number;
  /** Half-width of the 95% interval: 1.96 * sample std / sqrt(n) (normal approximation, as in the MAML and Reptile papers). */
  readonly ci95: number;
  readonly n: number;
  readonly std: number;
}

/**
 * Mean and 95% confidence interval half-width, `1.96 · s / √n` with the unbiased sample
 * standard deviation `s` (the convention of Finn et al. 2017 and later few-shot papers).
 * @param xs - per-episode scores (accuracy in [0, 1], MSE, ...).
 * @throws MetaLearnError `invalidArgument` when `xs` is empty or holds a non-finite value.
 */
export function meanCi95(xs: readonly number[]): MeanCi {
  if (xs.length === 0) throw new MetaLearnError('invalidArgument', 'meanCi95: xs must not be empty');
  const bad = xs.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new MetaLearnError('nonFinite', `meanCi95: xs[${bad}] is ${xs[bad]}`);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  return { mean, ci95: (1.96 * std) / Math.sqrt(n), n, std };
}

/** The p-quantile (0..1) of a sample by linear interpolation between order statistics. */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new MetaLearnError('invalidArgument', 'quantile: xs must not be empty');
  const s = [...xs].sort((a, b) => a - b);
  const idx = (s.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return s[lo]! + (s[hi]! - s[lo]!) * (idx - lo);
}
