/**
 * Test fixtures for @metalearn/datasets: where the real data and the test cache are, a minimal
 * independent PNG encoder (node's zlib for deflate and CRC-32, so the pngjs-based decoder is
 * checked against code it does not share), and builders of small synthetic Omniglot archives.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';

/** The repository root (…/packages/datasets/test → …). */
export const REPO_ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/**
 * The real data directory for tests: `$METALEARN_DATA_DIR`, else `<repo>/../shared/data`
 * (where CI keeps it); `undefined` when neither exists (real-data tests then skip).
 */
export function realDataDir(): string | undefined {
  const env = process.env['METALEARN_DATA_DIR'];
  if (env && existsSync(env)) return env;
  const sibling = join(REPO_ROOT, '..', 'shared', 'data');
  return existsSync(join(sibling, 'omniglot')) ? sibling : undefined;
}

/** The cache directory for real-data tests: `$METALEARN_CACHE_DIR`, else `<repo>/.metalearn-cache` (git-ignored). */
export function testCacheDir(): string {
  return process.env['METALEARN_CACHE_DIR'] || join(REPO_ROOT, '.metalearn-cache');
}

/** A fresh temporary directory. */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `metalearn-datasets-${tag}-`));
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlibCrc32(td) >>> 0, 0);
  return Buffer.concat([len, td, crc]);
}

/** Samples per pixel of each PNG colour type (gray, RGB, palette, gray+alpha, RGBA). */
const SAMPLES_PER_PIXEL = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/**
 * Encodes a PNG (non-interlaced) from scanline samples, each row filtered with `filter`
 * (0 None or 2 Up: enough to exercise the decoder alongside pngjs's own files; any other value
 * is written as the filter byte of unfiltered rows, to make invalid files). Samples are packed
 * MSB first below 8 bits and big-endian at 16 bits, as the PNG specification (sec. 7.2) says.
 * @param samples - `[height, width * samplesPerPixel]` sample values (0 .. 2^bitDepth − 1).
 */
export function encodePng(opts: {
  width: number;
  height: number;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  colorType: 0 | 2 | 3 | 4 | 6;
  samples: ArrayLike<number>;
  palette?: readonly [number, number, number][];
  filter?: number;
}): Buffer {
  const { width, height, bitDepth, colorType, samples } = opts;
  const rowSamples = width * SAMPLES_PER_PIXEL[colorType];
  const stride = Math.ceil((rowSamples * bitDepth) / 8);
  const raw = Buffer.alloc(height * (stride + 1));
  const packed = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < rowSamples; x++) {
      const v = samples[y * rowSamples + x]!;
      if (bitDepth === 16) {
        packed.writeUInt16BE(v, y * stride + 2 * x);
      } else {
        const bit = x * bitDepth;
        packed[y * stride + (bit >> 3)]! |= v << (8 - bitDepth - (bit & 7));
      }
    }
  }
  const filter = opts.filter ?? 0;
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const cur = packed[y * stride + i]!;
      const up = filter === 2 && y > 0 ? packed[(y - 1) * stride + i]! : 0;
      raw[y * (stride + 1) + 1 + i] = (cur - up) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (colorType === 3) parts.push(chunk('PLTE', Uint8Array.from((opts.palette ?? []).flat())));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/**
 * A 1-bit 105x105 Omniglot-style drawing (white = 1 paper, black = 0 ink) with ink exactly on
 * the pixels where `ink(r, c)` is true.
 */
export function omniglotPng(ink: (r: number, c: number) => boolean, size = 105): Buffer {
  const samples = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) samples[r * size + c] = ink(r, c) ? 0 : 1;
  return encodePng({ width: size, height: size, bitDepth: 1, colorType: 0, samples, filter: 2 });
}

/**
 * The drawing of a synthetic character: a filled rectangle whose position encodes
 * `(character, drawing)`, so tests can tell every image apart and know its exact ink fraction.
 * Rectangle rows `[r0, r0 + 21)`, cols `[c0, c0 + 14)` with `r0 = 5 + 7 * character`,
 * `c0 = 3 + 4 * drawing`.
 */
export function syntheticDrawing(character: number, drawing: number): { png: Buffer; r0: number; c0: number; h: number; w: number } {
  const r0 = 5 + 7 * character;
  const c0 = 3 + 4 * drawing;
  const h = 21;
  const w = 14;
  return { png: omniglotPng((r, c) => r >= r0 && r < r0 + h && c >= c0 && c < c0 + w), r0, c0, h, w };
}

/**
 * The files of a synthetic Omniglot archive `<stem>/<Alphabet>/characterNN/XXXX_YY.png`:
 * `alphabets[a]` characters numbered globally (`character` index across alphabets) with
 * `drawings` drawings each.
 */
export function syntheticOmniglotFiles(stem: string, alphabets: Record<string, number>, drawings: number, firstCharacter = 0): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  let k = firstCharacter;
  for (const [alphabet, n] of Object.entries(alphabets)) {
    for (let c = 1; c <= n; c++, k++) {
      for (let d = 1; d <= drawings; d++) {
        const id = String(1000 + k).padStart(4, '0');
        files[`${stem}/${alphabet}/character${String(c).padStart(2, '0')}/${id}_${String(d).padStart(2, '0')}.png`] = syntheticDrawing(k, d - 1).png;
      }
    }
  }
  return files;
}
