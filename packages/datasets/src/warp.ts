/**
 * Distribution-shift warps of image datasets: every image passes through an affine map about
 * its centre (shear, scale, rotation, translation), for out-of-distribution meta-test tasks as in
 * Finn & Levine (2018), who meta-test Omniglot learners on sheared and scaled characters.
 *
 * With pixel coordinates relative to the image centre, `x = col − (W − 1)/2`, `y = row − (H − 1)/2`,
 * the forward map is
 *
 *   `[x', y'] = R(θ) · [[1, shear], [0, 1]] · s · [x, y] + [dx, dy]`
 *
 * (shear is horizontal: a point moves right by `shear · y`; `θ` counter-clockwise as seen on
 * screen). Each output pixel samples the source at the inverse image of its centre, bilinearly,
 * with 0 outside the source (0 is paper for ink = 1 images; black for natural images).
 *
 * @see Finn & Levine 2018, "Meta-Learning and Universality", sec. 7.2 and Fig. 5 (extrapolation
 *   to sheared and scaled Omniglot digits).
 */
import { MetaLearnError } from '@metalearn/core';
import { exampleSize, type ClassIndexedDataset } from './image-dataset.js';

/** An affine warp about the image centre (all fields optional; the default is the identity). */
export interface AffineWarp {
  /** Horizontal shear factor (x += shear · y); default 0. */
  readonly shear?: number;
  /** Uniform scale factor > 0; default 1. */
  readonly scale?: number;
  /** Counter-clockwise rotation in degrees; default 0. */
  readonly rotationDeg?: number;
  /** Translation in pixels `[dx (right), dy (down)]`; default `[0, 0]`. */
  readonly translatePx?: readonly [number, number];
}

/**
 * The inverse of the warp's linear part and its translation, for sampling.
 * @throws MetaLearnError `invalidArgument` on a non-finite field or a scale <= 0.
 */
function inverseMap(fn: string, w: AffineWarp): { inv: [number, number, number, number]; dx: number; dy: number } {
  const shear = w.shear ?? 0;
  const scale = w.scale ?? 1;
  const deg = w.rotationDeg ?? 0;
  const [dx, dy] = w.translatePx ?? [0, 0];
  for (const [name, v] of [['shear', shear], ['scale', scale], ['rotationDeg', deg], ['translatePx[0]', dx], ['translatePx[1]', dy]] as const) {
    if (!Number.isFinite(v)) throw new MetaLearnError('invalidArgument', `${fn}: warp.${name} must be finite, got ${v}`);
  }
  if (scale <= 0) throw new MetaLearnError('invalidArgument', `${fn}: warp.scale must be > 0, got ${scale}`);
  // Screen coordinates have y pointing down, so a counter-clockwise turn on screen is
  // [x', y'] = [cos t · x + sin t · y, −sin t · x + cos t · y].
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  // Forward linear part M = R · Shear · scale.
  const m00 = scale * c;
  const m01 = scale * (c * shear + s);
  const m10 = scale * -s;
  const m11 = scale * (-s * shear + c);
  const det = m00 * m11 - m01 * m10;
  return { inv: [m11 / det, -m01 / det, -m10 / det, m00 / det], dx, dy };
}

/**
 * Warps one interleaved image `[H, W, C]` (see the module documentation for the map).
 * @param src - float32 `[H, W, C]`.
 * @returns float32 `[H, W, C]`.
 * @throws MetaLearnError `invalidArgument` on a size mismatch or a bad warp.
 * @example affineWarpImage(x, 28, 28, 1, { shear: 0.5 }) // a character slanted to the right at the bottom
 */
export function affineWarpImage(src: Float32Array, height: number, width: number, channels: number, warp: AffineWarp): Float32Array {
  if (src.length !== height * width * channels) {
    throw new MetaLearnError('invalidArgument', `affineWarpImage: src must have height * width * channels = ${height * width * channels} values, got ${src.length}`);
  }
  const { inv, dx, dy } = inverseMap('affineWarpImage', warp);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const out = new Float32Array(src.length);
  const at = (r: number, c: number, k: number): number => (r >= 0 && r < height && c >= 0 && c < width ? src[(r * width + c) * channels + k]! : 0);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const u = col - cx - dx;
      const v = row - cy - dy;
      const sx = inv[0] * u + inv[1] * v + cx;
      const sy = inv[2] * u + inv[3] * v + cy;
      const c0 = Math.floor(sx);
      const r0 = Math.floor(sy);
      const fx = sx - c0;
      const fy = sy - r0;
      for (let k = 0; k < channels; k++) {
        out[(row * width + col) * channels + k] =
          (1 - fy) * ((1 - fx) * at(r0, c0, k) + fx * at(r0, c0 + 1, k)) + fy * ((1 - fx) * at(r0 + 1, c0, k) + fx * at(r0 + 1, c0 + 1, k));
      }
    }
  }
  return out;
}

/**
 * A view of `ds` whose every example is warped by `warp` (computed when read; nothing is copied).
 * @throws MetaLearnError `invalidArgument` on a bad warp.
 * @example const shifted = warpDataset(await loadOmniglot({ split: 'test' }), { shear: 0.6 });
 */
export function warpDataset(ds: ClassIndexedDataset, warp: AffineWarp, name = `${ds.name}+warp`): ClassIndexedDataset {
  inverseMap('warpDataset', warp); // validate now
  const [h, w, c] = ds.exampleShape;
  const size = exampleSize(ds.exampleShape);
  const frozen = { ...warp };
  return {
    name,
    exampleShape: ds.exampleShape,
    classIds: ds.classIds,
    exampleCount: (classIndex) => ds.exampleCount(classIndex),
    writeExample(classIndex, exampleIndex, out, offset) {
      const tmp = new Float32Array(size);
      ds.writeExample(classIndex, exampleIndex, tmp, 0);
      if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) {
        throw new MetaLearnError('invalidArgument', `writeExample: offset must leave room for ${size} values in out (length ${out.length}), got ${offset}`);
      }
      out.set(affineWarpImage(tmp, h, w, c, frozen), offset);
    },
  };
}
