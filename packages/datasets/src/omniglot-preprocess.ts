/**
 * The Omniglot preprocessing, shared by the image loader and the one-shot-runs reader:
 * decode the 105x105 1-bit PNG (white = 1 is paper, black = 0 is ink), invert so that ink is 1,
 * resize to `imageSize x imageSize`, and store 8 bits:
 *
 *   `ink[r][c] = 1 - gray[r][c] / 255`,  `q = round(255 · clip(resize(ink), 0, 1))`,
 *   and the float value read back is `q / 255`.
 *
 * With the default `'area'` resize, a 28x28 value is the exact ink fraction of its 3.75x3.75
 * source cell before 8-bit rounding (|error| <= 1/510). With `'lanczos'` the resize runs, as in
 * Pillow, on the 8-bit gray image (paper = 255) with clipping and rounding after each pass, and
 * the result is inverted (`q = 255 − L`), reproducing torchvision's `convert('L')` +
 * `Resize(LANCZOS)` + `1 − x` to within a level. `'nearest'` reproduces MAML's binary images
 * exactly (checked against Pillow 9.4).
 *
 * @see Lake, Salakhutdinov & Tenenbaum 2015 (the data); Santoro et al. 2016 and Vinyals et al.
 *   2016 (28x28, ink = 1); Finn et al. 2017 (MAML), whose pipeline is `'nearest'` in effect (see
 *   resize.ts).
 */
import { MetaLearnError } from '@metalearn/core';
import { decodePng, toGray8 } from './png.js';
import { RESIZE_METHODS, resizeImage, type ResizeMethod } from './resize.js';

/** Options of the Omniglot preprocessing (part of every cache key). */
export interface OmniglotPreprocessOptions {
  /** Output side length in pixels; default 28. */
  readonly imageSize?: number;
  /** Resampling filter; default `'area'`. See resize.ts for the three filters and MAML's. */
  readonly resize?: ResizeMethod;
}

/** Bumped whenever the preprocessing's output changes, to invalidate cached arrays. */
export const OMNIGLOT_PREPROCESS_VERSION = 2;

/**
 * Validates and fills in the defaults of {@link OmniglotPreprocessOptions}.
 * @param fn - the calling function, for error messages.
 * @throws MetaLearnError `invalidArgument` on a non-integer or out-of-range size or an unknown method.
 */
export function omniglotPreprocessDefaults(fn: string, options: OmniglotPreprocessOptions = {}): Required<OmniglotPreprocessOptions> {
  const imageSize = options.imageSize ?? 28;
  const resize = options.resize ?? 'area';
  if (!Number.isInteger(imageSize) || imageSize < 1 || imageSize > 105) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.imageSize must be an integer in [1, 105], got ${imageSize}`);
  }
  if (!RESIZE_METHODS.includes(resize)) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.resize must be one of ${RESIZE_METHODS.join(', ')}, got '${String(resize)}'`);
  }
  return { imageSize, resize };
}

/**
 * Preprocesses one Omniglot PNG into `out` (see the module documentation for the maths).
 *
 * @param bytes - the PNG file.
 * @param name - its path, for error messages.
 * @param options - image size and filter (already validated by {@link omniglotPreprocessDefaults}).
 * @param out - destination, `uint8 [imageSize, imageSize]` at `offset`; ink = 255.
 * @param offset - where to write in `out`.
 * @throws MetaLearnError `corruptData` when the PNG cannot be decoded.
 */
export function preprocessOmniglotPng(bytes: Uint8Array, name: string, options: Required<OmniglotPreprocessOptions>, out: Uint8Array, offset: number): void {
  const img = decodePng(bytes, name);
  const gray = toGray8(img);
  const s = options.imageSize;
  if (options.resize === 'lanczos') {
    // Pillow's 8-bit pipeline on the gray image (clip and round between passes), then invert.
    const small = img.width === s && img.height === s ? Float64Array.from(gray) : resizeImage(gray, img.height, img.width, 1, s, s, 'lanczos', { roundTo8Bit: true });
    for (let i = 0; i < s * s; i++) out[offset + i] = 255 - small[i]!;
    return;
  }
  const ink = new Float64Array(gray.length);
  for (let i = 0; i < gray.length; i++) ink[i] = 1 - gray[i]! / 255;
  const small = img.width === s && img.height === s ? ink : resizeImage(ink, img.height, img.width, 1, s, s, options.resize);
  for (let i = 0; i < s * s; i++) {
    const v = small[i]!;
    out[offset + i] = Math.round(255 * (v < 0 ? 0 : v > 1 ? 1 : v));
  }
}
