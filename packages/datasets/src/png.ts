/**
 * PNG decoding to 8-bit samples: a thin wrapper of pngjs (`PNG.sync.read`, which checks chunk
 * CRCs, inflates, unfilters and de-interlaces), giving back each file's own channel count and
 * turning pngjs's errors into `corruptData` errors that name the file.
 *
 * Sample conversion (pngjs's): bit depths 1, 2, 4 are scaled to 0..255 (`round(v * 255 / (2^d - 1))`,
 * so 1-bit white is 255); 16-bit samples become `round(v * 255 / 65535)`; palette indices are
 * expanded to RGB. Gamma is not applied. Transparency (`tRNS`) only shows in the alpha of
 * colour types that have one, except that pngjs writes 0 to every sample of a pixel equal to a
 * gray or RGB `tRNS` colour key (no Omniglot file has a `tRNS` chunk).
 *
 * Errors: the 8-byte signature is compared here first, because pngjs's sync reader reports a
 * non-PNG file only as "unrecognised content at end of stream" (its parser's own error is masked
 * by the reader's; pngjs issue #235). Every other failure quotes pngjs.
 *
 * @see PNG specification (W3C, 2nd ed. 2003), sec. 5.2 (signature), 11.2.2 (IHDR colour types
 *   and bit depths).
 */
import pngjs from 'pngjs';
import type { PNGWithMetadata } from 'pngjs';
import { MetaLearnError } from '@metalearn/core';

/** A decoded image: 8-bit samples, interleaved, row-major: `data: uint8 [height, width, channels]`. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array;
}

/** The first eight bytes of every PNG file. */
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Channels we return per PNG colour type (palette → RGB), and where they sit in pngjs's RGBA. */
const RGBA_CHANNELS_OF: Readonly<Record<number, readonly number[]>> = {
  0: [0], // gray: R = G = B
  2: [0, 1, 2],
  3: [0, 1, 2],
  4: [0, 3], // gray + alpha
  6: [0, 1, 2, 3],
};

/**
 * Decodes a PNG file (any colour type, bit depth and interlace method).
 *
 * @param bytes - the file contents.
 * @param name - a name for error messages (e.g. the archive path).
 * @returns 8-bit samples `[height, width, channels]`: 1 channel for gray, 2 for gray+alpha, 3 for
 *   RGB and palette images, 4 for RGBA.
 * @throws MetaLearnError `corruptData` naming `name`: on a bad signature, and (quoting pngjs)
 *   whenever pngjs cannot decode the file: a CRC mismatch, truncation, a malformed header, an
 *   unknown filter type, corrupt compressed data.
 * @example const img = decodePng(readFileSync('0709_01.png')); // { width: 105, height: 105, channels: 1 }
 */
export function decodePng(bytes: Uint8Array, name = '<png>'): DecodedImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new MetaLearnError('corruptData', `decodePng: ${name} is not a PNG file (bad signature)`);
  }
  let png: PNGWithMetadata;
  try {
    png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new MetaLearnError('corruptData', `decodePng: ${name} is a damaged PNG file (pngjs: ${reason})`, { cause: e });
  }
  const { width, height } = png;
  const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, width * height * 4);
  const picks = RGBA_CHANNELS_OF[png.colorType as number];
  if (picks === undefined) throw new MetaLearnError('corruptData', `decodePng: ${name} has an invalid colour type ${png.colorType}`);
  const channels = picks.length as 1 | 2 | 3 | 4;
  if (channels === 4) return { width, height, channels, data: rgba };
  const n = width * height;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = rgba[i * 4 + picks[c]!]!;
  return { width, height, channels, data };
}

/**
 * Luminance of a decoded image, as PIL's `convert('L')` defines it:
 * `L = (299 R + 587 G + 114 B) / 1000` (ITU-R 601-2 luma), rounded; alpha is dropped.
 * @returns `uint8 [height, width]`.
 */
export function toGray8(img: DecodedImage): Uint8Array {
  const n = img.width * img.height;
  if (img.channels === 1) return img.data;
  const out = new Uint8Array(n);
  const c = img.channels;
  if (c === 2) {
    for (let i = 0; i < n; i++) out[i] = img.data[2 * i]!;
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * c;
      out[i] = Math.round((299 * img.data[o]! + 587 * img.data[o + 1]! + 114 * img.data[o + 2]!) / 1000);
    }
  }
  return out;
}
