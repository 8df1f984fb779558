import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import pngjs from 'pngjs';
import { MetaLearnError, createRng } from '@metalearn/core';
import { decodePng, toGray8, type DecodedImage } from '@metalearn/datasets';
import { encodePng, realDataDir } from './fixtures.js';

test('decodePng returns the samples of every colour type (gray, gray+alpha, RGB, RGBA; 8 and 16 bit) from an independent encoder', () => {
  const rng = createRng(11);
  const w = 37;
  const h = 23;
  const cases: Array<{ colorType: 0 | 2 | 4 | 6; bitDepth: 8 | 16; channels: number }> = [
    { colorType: 0, bitDepth: 8, channels: 1 },
    { colorType: 4, bitDepth: 8, channels: 2 },
    { colorType: 2, bitDepth: 8, channels: 3 },
    { colorType: 6, bitDepth: 8, channels: 4 },
    { colorType: 0, bitDepth: 16, channels: 1 },
    { colorType: 2, bitDepth: 16, channels: 3 },
    { colorType: 6, bitDepth: 16, channels: 4 },
  ];
  for (const c of cases) {
    const max = c.bitDepth === 16 ? 65535 : 255;
    const samples = Uint16Array.from({ length: w * h * c.channels }, () => rng.int(max + 1));
    for (const filter of [0, 2]) {
      const img = decodePng(encodePng({ width: w, height: h, bitDepth: c.bitDepth, colorType: c.colorType, samples, filter }), `case ${c.colorType}/${c.bitDepth}`);
      assert.deepEqual([img.width, img.height, img.channels], [w, h, c.channels], `shape of colour type ${c.colorType}`);
      // 16-bit samples round to 8 bits: round(v * 255 / 65535).
      const expected = c.bitDepth === 16 ? [...samples].map((v) => Math.round((v * 255) / 65535)) : [...samples];
      assert.deepEqual([...img.data], expected, `colour type ${c.colorType}, ${c.bitDepth} bit, filter ${filter}`);
    }
  }
});

test('decodePng reverses every filter type (None, Sub, Up, Average, Paeth, adaptive) of 8-bit RGBA files pngjs writes', () => {
  const rng = createRng(12);
  const w = 37;
  const h = 23;
  // Smooth-ish random content, so that each predictor gives non-trivial residuals.
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) rgba[(y * w + x) * 4 + c] = (x * 5 + y * 3 * (c + 1) + rng.int(9)) & 0xff;
  for (const filterType of [0, 1, 2, 3, 4, -1]) {
    const png = new pngjs.PNG({ width: w, height: h });
    rgba.copy(png.data);
    const file = pngjs.PNG.sync.write(png, { colorType: 6, filterType });
    const img = decodePng(file, `filter ${filterType}`);
    assert.deepEqual([img.width, img.height, img.channels], [w, h, 4]);
    assert.deepEqual(img.data, new Uint8Array(rgba), `filter type ${filterType}`);
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
  const is = (name: string, what: RegExp) => (e: unknown) => MetaLearnError.is(e, 'corruptData') && e.message.startsWith(`decodePng: ${name} `) && what.test(e.message);
  assert.throws(() => decodePng(Buffer.from('hello world'), 'a.png'), is('a.png', /is not a PNG file \(bad signature\)$/));
  assert.throws(() => decodePng(new Uint8Array(0), 'a0.png'), is('a0.png', /is not a PNG file \(bad signature\)$/));
  const damaged = /is a damaged PNG file \(pngjs: .+\)$/;
  const badCrc = Buffer.from(good);
  badCrc[20]! ^= 1; // inside IHDR data
  assert.throws(() => decodePng(badCrc, 'b.png'), is('b.png', damaged));
  const badIdatCrc = Buffer.from(good);
  badIdatCrc[good.length - 20]! ^= 1; // inside the IDAT's CRC
  assert.throws(() => decodePng(badIdatCrc, 'b2.png'), is('b2.png', damaged));
  assert.throws(() => decodePng(good.subarray(0, good.length - 12), 'c.png'), is('c.png', damaged));
  assert.throws(() => decodePng(good.subarray(0, 40), 'd.png'), is('d.png', damaged));
  const badFilter = encodePng({ width: 8, height: 2, bitDepth: 8, colorType: 0, samples: new Uint8Array(16), filter: 7 });
  assert.throws(() => decodePng(badFilter, 'e.png'), is('e.png', /damaged PNG file \(pngjs: Unrecognised filter type - 7\)/));
  assert.throws(() => decodePng(badFilter, 'e.png'), (e: unknown) => MetaLearnError.is(e) && e.cause instanceof Error, 'the pngjs error is kept as the cause');
  assert.deepEqual([...decodePng(good, 'good.png').data], new Array(16).fill(0), 'the undamaged file decodes');
});

test('decodePng on real Omniglot drawings (1-bit gray) from both archives and the runs: 105x105 bilevel, pinned pixels', { skip: realDataDir() === undefined ? 'no data dir' : false }, () => {
  const dir = join(realDataDir()!, 'omniglot');
  const hash = createHash('sha256');
  let checked = 0;
  for (const zip of ['images_background.zip', 'images_evaluation.zip', 'all_runs.zip']) {
    const files = unzipSync(readFileSync(join(dir, zip)), { filter: (f) => f.name.endsWith('.png') && (f.name.endsWith('_01.png') || f.name.includes('run0')) });
    const names = Object.keys(files).sort().filter((_, i) => i % 10 === 0); // every 10th: 199 files in all
    for (const n of names) {
      const img = decodePng(files[n]!, n);
      assert.deepEqual([img.width, img.height, img.channels], [105, 105, 1], n);
      assert.ok(img.data.every((v) => v === 0 || v === 255), `${n} is bilevel (1-bit scaled to 0/255)`);
      if (checked === 0) {
        assert.equal(n, 'images_background/Alphabet_of_the_Magi/character01/0709_01.png');
        assert.equal(img.data.filter((v) => v === 0).length, 905, 'ink pixels of 0709_01.png');
      }
      hash.update(toGray8(img));
      checked++;
    }
  }
  assert.equal(checked, 199);
  // Pinned from this package's former hand-written decoder (own inflate/unfilter/unpack code),
  // so this compares pngjs's pixels against an independent implementation.
  assert.equal(hash.digest('hex'), '7f631feabde94d92cb17f89e2fa07e18977f7a0f26fd3292c8f78e6bd57535a1');
});
