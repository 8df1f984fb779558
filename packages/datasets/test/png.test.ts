import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import pngjs from 'pngjs';
import { MetaLearnError, createRng } from '@metalearn/core';
import { crc32, decodePng, toGray8, type DecodedImage } from '@metalearn/datasets';
import { encodePng, realDataDir } from './fixtures.js';

/** Our decode expanded to RGBA 8-bit, the form pngjs decodes to. */
function toRgba(img: DecodedImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const s = img.data.subarray(i * img.channels, (i + 1) * img.channels);
    const [r, g, b, a] = img.channels === 1 ? [s[0]!, s[0]!, s[0]!, 255] : img.channels === 2 ? [s[0]!, s[0]!, s[0]!, s[1]!] : img.channels === 3 ? [s[0]!, s[1]!, s[2]!, 255] : [s[0]!, s[1]!, s[2]!, s[3]!];
    out.set([r, g, b, a], i * 4);
  }
  return out;
}

test('crc32 equals zlib.crc32 on random bytes and sub-ranges', () => {
  const rng = createRng(3);
  const bytes = Uint8Array.from({ length: 1000 }, () => rng.int(256));
  assert.equal(crc32(bytes), zlibCrc32(bytes) >>> 0);
  assert.equal(crc32(bytes, 17, 400), zlibCrc32(bytes.subarray(17, 400)) >>> 0);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('decodePng equals pngjs on files pngjs writes (gray, gray+alpha, RGB, RGBA; 8 and 16 bit; adaptive filters)', () => {
  const rng = createRng(11);
  const w = 37;
  const h = 23;
  // Smooth-ish random content so the encoder picks Sub/Up/Average/Paeth rows, not only None.
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) rgba[(y * w + x) * 4 + c] = (x * 5 + y * 3 * (c + 1) + rng.int(9)) & 0xff;
  const cases: Array<{ colorType: 0 | 2 | 4 | 6; bitDepth: 8 | 16; channels: number }> = [
    { colorType: 0, bitDepth: 8, channels: 1 },
    { colorType: 4, bitDepth: 8, channels: 2 },
    { colorType: 2, bitDepth: 8, channels: 3 },
    { colorType: 6, bitDepth: 8, channels: 4 },
    { colorType: 2, bitDepth: 16, channels: 3 },
    { colorType: 6, bitDepth: 16, channels: 4 },
  ];
  for (const c of cases) {
    const png = new pngjs.PNG({ width: w, height: h, colorType: c.colorType, bitDepth: c.bitDepth, inputColorType: 6, inputHasAlpha: true });
    rgba.copy(png.data);
    const file = pngjs.PNG.sync.write(png, { colorType: c.colorType, bitDepth: c.bitDepth, inputColorType: 6, inputHasAlpha: true });
    const ref = pngjs.PNG.sync.read(file);
    const ours = decodePng(file, `case ${c.colorType}/${c.bitDepth}`);
    assert.equal(ours.width, w);
    assert.equal(ours.height, h);
    assert.equal(ours.channels, c.channels, `channels of colour type ${c.colorType}`);
    assert.deepEqual(toRgba(ours), new Uint8Array(ref.data), `colour type ${c.colorType}, ${c.bitDepth} bit`);
  }
});

test('decodePng unpacks 1/2/4-bit gray (scaled to 0..255) and 1/2/4/8-bit palette images', () => {
  const w = 13; // not a multiple of 8: rows end mid-byte
  const h = 4;
  for (const bitDepth of [1, 2, 4] as const) {
    const max = (1 << bitDepth) - 1;
    const samples = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % (max + 1));
    const img = decodePng(encodePng({ width: w, height: h, bitDepth, colorType: 0, samples, filter: 2 }));
    assert.equal(img.channels, 1);
    assert.deepEqual([...img.data], [...samples].map((v) => Math.round((v * 255) / max)), `gray ${bitDepth}-bit`);
  }
  const palette: [number, number, number][] = Array.from({ length: 256 }, (_, i) => [i, 255 - i, (i * 37) & 0xff]);
  for (const bitDepth of [1, 2, 4, 8] as const) {
    const samples = Uint8Array.from({ length: w * h }, (_, i) => (i * 5) % (1 << bitDepth));
    const img = decodePng(encodePng({ width: w, height: h, bitDepth, colorType: 3, samples, palette }));
    assert.equal(img.channels, 3);
    assert.deepEqual([...img.data], [...samples].flatMap((v) => palette[v]!), `palette ${bitDepth}-bit`);
  }
});

test('toGray8: PIL luma (299 R + 587 G + 114 B) / 1000, alpha dropped', () => {
  const img: DecodedImage = { width: 2, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 7, 10, 200, 30, 255]) };
  assert.deepEqual([...toGray8(img)], [Math.round(255 * 0.299), Math.round((2990 + 117400 + 3420) / 1000)]);
  assert.deepEqual([...toGray8({ width: 1, height: 1, channels: 2, data: Uint8Array.from([9, 0]) })], [9]);
});

test('decodePng: corruptData naming the file on a bad signature, a CRC mismatch, truncation, a bad filter', () => {
  const good = encodePng({ width: 8, height: 2, bitDepth: 8, colorType: 0, samples: new Uint8Array(16) });
  const is = (name: string, what: RegExp) => (e: unknown) => MetaLearnError.is(e, 'corruptData') && e.message.startsWith(`decodePng: ${name}`) && what.test(e.message);
  assert.throws(() => decodePng(Buffer.from('hello world'), 'a.png'), is('a.png', /signature/));
  const badCrc = Buffer.from(good);
  badCrc[20]! ^= 1; // inside IHDR data
  assert.throws(() => decodePng(badCrc, 'b.png'), is('b.png', /CRC mismatch in chunk IHDR/));
  assert.throws(() => decodePng(good.subarray(0, good.length - 12), 'c.png'), is('c.png', /no IEND|truncated/));
  assert.throws(() => decodePng(good.subarray(0, 40), 'd.png'), is('d.png', /truncated|no IEND/));
  const badFilter = encodePng({ width: 8, height: 2, bitDepth: 8, colorType: 0, samples: new Uint8Array(16), filter: 7 });
  assert.throws(() => decodePng(badFilter, 'e.png'), is('e.png', /unknown filter type 7 on row 0/));
});

test('decodePng equals pngjs on real Omniglot drawings (1-bit gray) from both archives and the runs', { skip: realDataDir() === undefined ? 'no data dir' : false }, () => {
  const dir = join(realDataDir()!, 'omniglot');
  let checked = 0;
  for (const zip of ['images_background.zip', 'images_evaluation.zip', 'all_runs.zip']) {
    const files = unzipSync(readFileSync(join(dir, zip)), { filter: (f) => f.name.endsWith('.png') && (f.name.endsWith('_01.png') || f.name.includes('run0')) });
    const names = Object.keys(files).sort().filter((_, i) => i % 10 === 0); // every 10th: ~200 files in all
    for (const n of names) {
      const bytes = files[n]!;
      const ours = decodePng(bytes, n);
      assert.deepEqual([ours.width, ours.height, ours.channels], [105, 105, 1], n);
      const ref = pngjs.PNG.sync.read(Buffer.from(bytes));
      assert.deepEqual(toRgba(ours), new Uint8Array(ref.data), n);
      assert.ok(ours.data.every((v) => v === 0 || v === 255), `${n} is bilevel`);
      checked++;
    }
  }
  assert.ok(checked > 100, `checked ${checked} files`);
});
