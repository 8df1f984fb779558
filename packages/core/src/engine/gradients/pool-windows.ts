/**
 * Window geometry shared by the pooling gradients. The input is padded onto a canvas whose rows
 * and columns are split into stride *phases*: canvas row `R = a·s_h + p` (0 ≤ p < s_h) is row `a`
 * of phase `p`. Element `(i, j)` of window `(r, c)` sits at canvas row `r·s_h + i`, i.e. row
 * `r + ⌊i/s_h⌋` of phase `i mod s_h` (columns alike), so "element (i, j) of every window" is a
 * plain 4-D slice of one phase image, and putting values back is a 4-D pad. The phases are
 * separated and re-interleaved with one 6-D transpose each way. Everything is `Pad`, `Slice`,
 * `Reshape`, `Transpose` and `Concat` — whose gradients are exact at every order — and stays at
 * rank ≤ 4 except the transposes (the wasm backend runs Slice/Pad/Concat of rank > 4 in slow
 * generic code, ~100x slower).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Geometry of a 2-D pooling (NHWC, dilation 1). */
export interface PoolGeometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Rows and columns of each phase image; the canvas is `gridHeight·s_h × gridWidth·s_w`. */
  readonly gridHeight: number;
  readonly gridWidth: number;
}

/** Pooling geometry from the kernel's attributes (`filterSize`, `strides`, `pad`, `dimRoundingMode`). */
export function poolGeometry(xShape: readonly number[], attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  return {
    batch: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: sh,
    strideWidth: sw,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    gridHeight: Math.max(Math.floor((info.filterHeight - 1) / sh) + info.outHeight, Math.ceil((info.padInfo.top + info.inHeight) / sh)),
    gridWidth: Math.max(Math.floor((info.filterWidth - 1) / sw) + info.outWidth, Math.ceil((info.padInfo.left + info.inWidth) / sw)),
  };
}

/**
 * The input padded with `value` onto the canvas and split into phases:
 * `[s_h·s_w·B, gridHeight, gridWidth, C]`, phase `(p, q)` at rows `[(p·s_w + q)·B, +B)`.
 */
export function toPhases(x: tf.Tensor, g: PoolGeometry, value: number): tf.Tensor {
  const { batch: b, channels: c, strideHeight: sh, strideWidth: sw, gridHeight: gh, gridWidth: gw } = g;
  const canvas = tf.pad(x, [
    [0, 0],
    [g.padTop, gh * sh - g.padTop - g.height],
    [g.padLeft, gw * sw - g.padLeft - g.width],
    [0, 0],
  ], value);
  if (sh === 1 && sw === 1) return canvas;
  const split = tf.transpose(tf.reshape(canvas, [b, gh, sh, gw, sw, c]), [2, 4, 0, 1, 3, 5]);
  return tf.reshape(split, [sh * sw * b, gh, gw, c]);
}

/** Phase images `[s_h·s_w·B, gh, gw, C]` interleaved back into the canvas and cropped to the input `[B, H, W, C]`. */
export function fromPhases(phases: tf.Tensor, g: PoolGeometry): tf.Tensor {
  const { batch: b, channels: c, strideHeight: sh, strideWidth: sw, gridHeight: gh, gridWidth: gw } = g;
  const canvas = sh === 1 && sw === 1
    ? phases
    : tf.reshape(tf.transpose(tf.reshape(phases, [sh, sw, b, gh, gw, c]), [2, 3, 0, 4, 1, 5]), [b, gh * sh, gw * sw, c]);
  return tf.slice(canvas, [0, g.padTop, g.padLeft, 0], [b, g.height, g.width, c]);
}

/** Element `(i, j)` of every window, `[B, oh, ow, C]`, from the phase images. */
export function pickWindowElement(phases: tf.Tensor, g: PoolGeometry, i: number, j: number): tf.Tensor {
  const phase = (i % g.strideHeight) * g.strideWidth + (j % g.strideWidth);
  return tf.slice(
    phases,
    [phase * g.batch, Math.floor(i / g.strideHeight), Math.floor(j / g.strideWidth), 0],
    [g.batch, g.outHeight, g.outWidth, g.channels],
  );
}

/**
 * The adjoint of {@link pickWindowElement}: sums `values[k]` (each `[B, oh, ow, C]`, for window
 * element `elements[k] = (i, j)`) into zero phase images `[s_h·s_w·B, gh, gw, C]`.
 */
export function placeWindowElements(values: readonly tf.Tensor[], elements: ReadonlyArray<readonly [number, number]>, g: PoolGeometry): tf.Tensor {
  const { batch: b, channels: c, strideHeight: sh, strideWidth: sw, gridHeight: gh, gridWidth: gw } = g;
  const perPhase: tf.Tensor[][] = Array.from({ length: sh * sw }, () => []);
  elements.forEach(([i, j], k) => {
    const top = Math.floor(i / sh);
    const left = Math.floor(j / sw);
    perPhase[(i % sh) * sw + (j % sw)]!.push(
      tf.pad(values[k]!, [[0, 0], [top, gh - top - g.outHeight], [left, gw - left - g.outWidth], [0, 0]]),
    );
  });
  const images = perPhase.map((parts) => (parts.length === 0 ? tf.zeros([b, gh, gw, c]) : parts.length === 1 ? parts[0]! : tf.addN(parts)));
  return images.length === 1 ? images[0]! : tf.concat(images, 0);
}

/** The window elements `(i, j)` in row-major order (the tie-breaking order of the cpu kernels). */
export function windowElements(g: PoolGeometry): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < g.filterHeight; i++) for (let j = 0; j < g.filterWidth; j++) out.push([i, j]);
  return out;
}

/** Number of real (non-padding) input elements in each window: float32 `[1, oh, ow, 1]`. */
export function windowCounts(g: PoolGeometry): tf.Tensor {
  const count = (out: number, f: number, s: number, pad: number, size: number): number[] =>
    Array.from({ length: out }, (_, o) => {
      let n = 0;
      for (let i = 0; i < f; i++) {
        const p = o * s + i - pad;
        if (p >= 0 && p < size) n++;
      }
      return n;
    });
  const rows = count(g.outHeight, g.filterHeight, g.strideHeight, g.padTop, g.height);
  const cols = count(g.outWidth, g.filterWidth, g.strideWidth, g.padLeft, g.width);
  const values = rows.flatMap((r) => cols.map((c) => r * c));
  return tf.tensor4d(values, [1, g.outHeight, g.outWidth, 1], 'float32');
}

/**
 * The first (row-major) maximum of every window as a 0/1 matrix `[K, N]`: row k marks the
 * windows whose first maximum is window element k (`K = f_h·f_w`, `N = B·oh·ow·C`). Built with
 * `argMax`/`oneHot`, whose gradients are zero.
 */
export function firstMaxSelection(x: tf.Tensor, g: PoolGeometry): tf.Tensor {
  const elements = windowElements(g);
  const phases = toPhases(x, g, -Infinity);
  const n = g.batch * g.outHeight * g.outWidth * g.channels;
  const candidates = tf.concat(elements.map(([i, j]) => tf.reshape(pickWindowElement(phases, g, i, j), [1, n])), 0);
  return tf.transpose(tf.cast(tf.oneHot(tf.argMax(candidates, 0), elements.length), 'float32'));
}

/** Rows of `[K, N]` (row k: element k of every window) summed back onto the input `[B, H, W, C]`. */
export function scatterWindows(values: tf.Tensor, g: PoolGeometry): tf.Tensor {
  const elements = windowElements(g);
  const n = values.shape[1]!;
  const shape = [g.batch, g.outHeight, g.outWidth, g.channels];
  const rows = elements.map((_, k) => tf.reshape(tf.slice(values, [k, 0], [1, n]), shape));
  return fromPhases(placeWindowElements(rows, elements, g), g);
}

/** Whether no two windows share an input element (stride ≥ filter size on both axes). */
export function windowsAreDisjoint(g: PoolGeometry): boolean {
  return g.strideHeight >= g.filterHeight && g.strideWidth >= g.filterWidth;
}

