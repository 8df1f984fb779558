/**
 * Separable image resampling: `out = W_y · img · W_xᵀ` per channel, where each row of the
 * weight matrix `W` (one per output pixel) is sparse and sums to 1.
 *
 * Three filters, chosen by {@link ResizeMethod}:
 * - `'area'` (the default for Omniglot): exact area averaging. With `s = inSize / outSize`,
 *   output pixel `i` covers the source interval `[i s, (i + 1) s)` and source pixel `j` gets the
 *   weight `|[j, j + 1) ∩ [i s, (i + 1) s)| / s`. This is OpenCV's `INTER_AREA` and TensorFlow's
 *   `resize_area`; it is the antialiased box filter with fractional edge coverage (Pillow's `BOX`
 *   instead point-samples the box at pixel centres). For a 1-bit 105x105 Omniglot drawing and
 *   28x28 output (`s = 3.75`), each value is the exact fraction of ink in the 3.75x3.75 cell.
 * - `'lanczos'`: Lanczos-3 with antialiasing as Pillow computes it (`support = 3 max(s, 1)`,
 *   taps at `(j - centre + 0.5) / max(s, 1)`, weights normalised to sum 1), in float64; with
 *   `roundTo8Bit` the intermediate and output are clipped to [0, 255] and rounded as Pillow does
 *   for 8-bit images, which reproduces Pillow 9.4 to within one level (2 of 72,128 pixels differ,
 *   from Pillow's 22-bit fixed-point coefficients, on 92 Omniglot drawings). This is what
 *   torchvision's `Omniglot` + `Resize(28, LANCZOS)` (e.g. learn2learn) computes, because
 *   torchvision converts the images to mode `'L'` first.
 * - `'nearest'`: source pixel `floor((i + 0.5) s)` (Pillow's `NEAREST`). This is what MAML's
 *   reference preprocessing (cbfinn/maml, `data/omniglot_resized/resize_images.py`,
 *   `im.resize((28, 28), resample=Image.LANCZOS)`) actually produced: Pillow silently replaces
 *   any filter by `NEAREST` for mode `'1'` (bilevel) images, which is how the Omniglot PNGs open.
 *   So MAML's 28x28 Omniglot images are binary, despite the `LANCZOS` in the script (ours equal
 *   Pillow 9.4's output bit for bit on 92 drawings, rotated ones included).
 *
 * @see Pillow `Image.resize` (`if self.mode in ("1", "P"): resample = NEAREST`) and
 *   `libImaging/Resample.c` (`precompute_coeffs`); OpenCV `INTER_AREA`.
 */
import { MetaLearnError } from '@metalearn/core';

/** The resampling filter. See this module's documentation. */
export type ResizeMethod = 'area' | 'lanczos' | 'nearest';

/** Every {@link ResizeMethod}, for validation and `--help`. */
export const RESIZE_METHODS: readonly ResizeMethod[] = ['area', 'lanczos', 'nearest'];

/** One output pixel's sparse weights: source indices `start .. start + weights.length - 1`. */
export interface ResampleRow {
  readonly start: number;
  readonly weights: Float64Array;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function lanczos3(x: number): number {
  return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Rounds half up and clips to [0, 255] (Pillow's 8-bit `clip8` after fixed-point rounding). */
function clip8(v: number): number {
  const r = Math.floor(v + 0.5);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

const weightCache = new Map<string, readonly ResampleRow[]>();

/**
 * The 1-D resampling weights from `inSize` to `outSize` samples (one row per output sample;
 * each row sums to 1). Memoised.
 *
 * @param inSize - source length (pixels), integer >= 1.
 * @param outSize - target length (pixels), integer >= 1.
 * @param method - the filter.
 * @returns `outSize` rows.
 * @throws MetaLearnError `invalidArgument` when a size is not a positive integer or the method
 *   is unknown.
 */
export function resampleWeights(inSize: number, outSize: number, method: ResizeMethod): readonly ResampleRow[] {
  if (!Number.isInteger(inSize) || inSize < 1) throw new MetaLearnError('invalidArgument', `resampleWeights: inSize must be an integer >= 1, got ${inSize}`);
  if (!Number.isInteger(outSize) || outSize < 1) throw new MetaLearnError('invalidArgument', `resampleWeights: outSize must be an integer >= 1, got ${outSize}`);
  if (!RESIZE_METHODS.includes(method)) throw new MetaLearnError('invalidArgument', `resampleWeights: method must be one of ${RESIZE_METHODS.join(', ')}, got '${String(method)}'`);
  const key = `${inSize}:${outSize}:${method}`;
  const hit = weightCache.get(key);
  if (hit) return hit;
  const s = inSize / outSize;
  const rows: ResampleRow[] = [];
  for (let i = 0; i < outSize; i++) {
    if (method === 'nearest') {
      rows.push({ start: Math.min(inSize - 1, Math.floor((i + 0.5) * s)), weights: Float64Array.of(1) });
    } else if (method === 'area') {
      const lo = i * s;
      const hi = (i + 1) * s;
      const start = Math.floor(lo);
      const end = Math.min(inSize, Math.ceil(hi));
      const w = new Float64Array(end - start);
      for (let j = start; j < end; j++) w[j - start] = (Math.min(j + 1, hi) - Math.max(j, lo)) / s;
      rows.push({ start, weights: w });
    } else {
      const filterScale = Math.max(s, 1);
      const support = 3 * filterScale;
      const centre = (i + 0.5) * s;
      const start = Math.max(0, Math.floor(centre - support + 0.5));
      const end = Math.min(inSize, Math.floor(centre + support + 0.5));
      const w = new Float64Array(end - start);
      let total = 0;
      for (let j = start; j < end; j++) {
        const v = lanczos3((j - centre + 0.5) / filterScale);
        w[j - start] = v;
        total += v;
      }
      if (total !== 0) for (let k = 0; k < w.length; k++) w[k]! /= total;
      rows.push({ start, weights: w });
    }
  }
  weightCache.set(key, rows);
  return rows;
}

/**
 * The rows of {@link resampleWeights} as a dense band: output `i` reads source samples
 * `starts[i] .. starts[i] + taps - 1` with weights `weights[i * taps ..]` (zero-padded), so the
 * resize loops have a fixed trip count. Memoised.
 */
interface ResampleBand {
  readonly taps: number;
  readonly starts: Int32Array;
  readonly weights: Float64Array;
}

const bandCache = new Map<string, ResampleBand>();

function resampleBand(inSize: number, outSize: number, method: ResizeMethod): ResampleBand {
  const key = `${inSize}:${outSize}:${method}`;
  const hit = bandCache.get(key);
  if (hit) return hit;
  const rows = resampleWeights(inSize, outSize, method);
  const taps = Math.min(inSize, Math.max(...rows.map((r) => r.weights.length)));
  const starts = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (const [i, r] of rows.entries()) {
    const start = Math.min(r.start, inSize - taps);
    starts[i] = start;
    for (let k = 0; k < r.weights.length; k++) weights[i * taps + (r.start - start) + k] = r.weights[k]!;
  }
  const band = { taps, starts, weights };
  bandCache.set(key, band);
  return band;
}

/**
 * Resizes an interleaved image `[inH, inW, C]` to `[outH, outW, C]` with a separable filter
 * (horizontal pass, then vertical pass, in float64).
 *
 * @param src - samples `[inH, inW, channels]`, any numeric array (a Float64Array is fastest).
 * @param inH - source height.
 * @param inW - source width.
 * @param channels - samples per pixel.
 * @param outH - target height.
 * @param outW - target width.
 * @param method - the filter (see the module documentation).
 * @param options - `roundTo8Bit`: treat samples as 8-bit (0..255) and, as Pillow does for 8-bit
 *   images, clip to [0, 255] and round after the horizontal pass and after the vertical pass
 *   (matters for Lanczos, whose negative lobes Pillow clips between the passes).
 * @returns float64 `[outH, outW, channels]`; without `roundTo8Bit`, not clipped (Lanczos can
 *   overshoot the input range).
 * @throws MetaLearnError `invalidArgument` when `src.length !== inH * inW * channels` or a size
 *   is not a positive integer.
 * @example resizeImage(ink, 105, 105, 1, 28, 28, 'area') // Float64Array(784), ink fractions
 */
export function resizeImage(
  src: ArrayLike<number>,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
  method: ResizeMethod,
  options: { readonly roundTo8Bit?: boolean } = {},
): Float64Array {
  if (!Number.isInteger(channels) || channels < 1) throw new MetaLearnError('invalidArgument', `resizeImage: channels must be an integer >= 1, got ${channels}`);
  if (src.length !== inH * inW * channels) {
    throw new MetaLearnError('invalidArgument', `resizeImage: src must have inH * inW * channels = ${inH} * ${inW} * ${channels} samples, got ${src.length}`);
  }
  const bx = resampleBand(inW, outW, method);
  const by = resampleBand(inH, outH, method);
  const x64 = src instanceof Float64Array ? src : Float64Array.from(src);
  const round8 = options.roundTo8Bit === true;
  const tmp = new Float64Array(inH * outW * channels);
  const tx = bx.taps;
  const wx = bx.weights;
  const sx = bx.starts;
  for (let y = 0; y < inH; y++) {
    const rowIn = y * inW;
    const rowOut = y * outW;
    for (let x = 0; x < outW; x++) {
      const w0 = x * tx;
      const s0 = (rowIn + sx[x]!) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < tx; k++) acc += wx[w0 + k]! * x64[s0 + k * channels + c]!;
        tmp[(rowOut + x) * channels + c] = round8 ? clip8(acc) : acc;
      }
    }
  }
  const out = new Float64Array(outH * outW * channels);
  const rowLen = outW * channels;
  const ty = by.taps;
  const wy = by.weights;
  const sy = by.starts;
  for (let y = 0; y < outH; y++) {
    const o = y * rowLen;
    for (let k = 0; k < ty; k++) {
      const w = wy[y * ty + k]!;
      if (w === 0) continue;
      const t = (sy[y]! + k) * rowLen;
      for (let i = 0; i < rowLen; i++) out[o + i]! += w * tmp[t + i]!;
    }
  }
  if (round8) for (let i = 0; i < out.length; i++) out[i] = clip8(out[i]!);
  return out;
}
