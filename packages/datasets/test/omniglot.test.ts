import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zipSync, unzipSync } from 'fflate';
import pngjs from 'pngjs';
import { MetaLearnError } from '@metalearn/core';
import { classExamples, classIndexOf, loadOmniglot, preprocessOmniglotPng, rotationIndexMap, type OmniglotDataset } from '@metalearn/datasets';
import { realDataDir, syntheticOmniglotFiles, tempDir, testCacheDir } from './fixtures.js';

/**
 * Exact area-resize value of a 105x105 ink map at 28x28 cell (i, j): the ink-weighted overlap of
 * the cell [3.75 i, 3.75 (i+1)) x [3.75 j, 3.75 (j+1)) with every source pixel, / 3.75^2.
 * A direct 2-D sum, written independently of the (separable) implementation.
 */
function areaCell(ink: (r: number, c: number) => number, i: number, j: number, s = 105 / 28): number {
  let acc = 0;
  for (let r = Math.floor(i * s); r < Math.ceil((i + 1) * s); r++) {
    const oy = Math.min(r + 1, (i + 1) * s) - Math.max(r, i * s);
    for (let c = Math.floor(j * s); c < Math.ceil((j + 1) * s); c++) {
      const ox = Math.min(c + 1, (j + 1) * s) - Math.max(c, j * s);
      acc += ink(r, c) * ox * oy;
    }
  }
  return acc / (s * s);
}

/** The largest |dataset value - exact area value| over an example's 784 pixels. */
function maxAreaError(ds: OmniglotDataset, classIndex: number, example: number, ink: (r: number, c: number) => number): number {
  const x = new Float32Array(784);
  ds.writeExample(classIndex, example, x, 0);
  let worst = 0;
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) worst = Math.max(worst, Math.abs(x[i * 28 + j]! - areaCell(ink, i, j)));
  return worst;
}

const rect = (k: number, d: number) => (r: number, c: number) => (r >= 5 + 7 * k && r < 26 + 7 * k && c >= 3 + 4 * d && c < 17 + 4 * d ? 1 : 0);
const QUANT = 1 / 510 + 1e-6; // 8-bit storage: |round(255 v) / 255 - v| <= 1/510 (plus float32 rounding)

/** A synthetic data dir: background {Alpha: 2, Beta: 1}, evaluation {Gamma: 2} x 4 drawings, a train split. */
function syntheticDataDir(layout: 'zip' | 'folder' = 'zip'): string {
  const root = tempDir(`omniglot-${layout}`);
  const dir = join(root, 'omniglot');
  mkdirSync(join(dir, 'splits'), { recursive: true });
  const sets = { images_background: syntheticOmniglotFiles('images_background', { Alpha: 2, Beta: 1 }, 4, 0), images_evaluation: syntheticOmniglotFiles('images_evaluation', { Gamma: 2 }, 4, 3) };
  for (const [stem, files] of Object.entries(sets)) {
    if (layout === 'zip') writeFileSync(join(dir, `${stem}.zip`), zipSync(files));
    else for (const [p, bytes] of Object.entries(files)) (mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), bytes));
  }
  writeFileSync(join(dir, 'splits', 'train.txt'), 'Gamma/character02/rot180\nAlpha/character01/rot000\r\nAlpha/character01/rot090\n\n');
  return root;
}

test('synthetic background split: class ids, counts, shape, and every pixel equal to the exact ink fraction of its cell (<= 1/510)', async () => {
  const dataDir = syntheticDataDir();
  const ds = await loadOmniglot({ split: 'background', dataDir, cacheDir: false });
  assert.deepEqual(ds.classIds, ['Alpha/character01', 'Alpha/character02', 'Beta/character01']);
  assert.deepEqual(ds.exampleShape, [28, 28, 1]);
  assert.deepEqual(ds.files[2], ['1002_01.png', '1002_02.png', '1002_03.png', '1002_04.png']);
  for (let c = 0; c < 3; c++) {
    assert.equal(ds.exampleCount(c), 4);
    for (let d = 0; d < 4; d++) {
      const err = maxAreaError(ds, c, d, rect(c, d));
      assert.ok(err <= QUANT, `class ${c} drawing ${d}: max error ${err}`);
    }
  }
  const { data } = classExamples(ds, 0);
  const mean = data.subarray(0, 784).reduce((a, b) => a + b, 0) / 784;
  assert.ok(Math.abs(mean - (21 * 14) / 11025) <= QUANT, `area resize keeps the ink fraction: ${mean}`);
  assert.equal(ds.archives[0]!.status, 'disabled');
});

test('rotations: official split x 4 with /rotDDD ids; rotated classes are the rotated images', async () => {
  const ds = await loadOmniglot({ split: 'background', dataDir: syntheticDataDir(), cacheDir: false, rotations: true });
  assert.equal(ds.classIds.length, 12);
  assert.deepEqual(ds.classIds.slice(0, 4), ['Alpha/character01/rot000', 'Alpha/character01/rot090', 'Alpha/character01/rot180', 'Alpha/character01/rot270']);
  const base = new Float32Array(784);
  ds.writeExample(0, 2, base, 0);
  for (const [k, deg] of ([[1, 90], [2, 180], [3, 270]] as const)) {
    const rot = new Float32Array(784);
    ds.writeExample(k, 2, rot, 0);
    const map = rotationIndexMap(28, deg);
    assert.ok(rot.every((v, p) => v === base[map[p]!]), `rot${deg}`);
    assert.ok(rot.some((v, p) => v !== base[p]), `rot${deg} differs from rot000`);
  }
});

test('Vinyals split: classes in file order from both archives, rotations from the lines; rotations:false keeps rot000 lines', async () => {
  const dataDir = syntheticDataDir();
  const ds = await loadOmniglot({ split: 'train', dataDir, cacheDir: false });
  assert.deepEqual(ds.classIds, ['Gamma/character02/rot180', 'Alpha/character01/rot000', 'Alpha/character01/rot090']);
  // Gamma/character02 is synthetic character 4 (evaluation archive), rotated by 180 degrees.
  const rot180 = (f: (r: number, c: number) => number) => (r: number, c: number) => f(104 - r, 104 - c);
  assert.ok(maxAreaError(ds, 0, 1, rot180(rect(4, 1))) <= QUANT);
  assert.ok(maxAreaError(ds, 1, 3, rect(0, 3)) <= QUANT);
  const only0 = await loadOmniglot({ split: 'train', dataDir, cacheDir: false, rotations: false });
  assert.deepEqual(only0.classIds, ['Alpha/character01/rot000']);
});

test('an extracted folder gives exactly the zip pixels; the cache: miss, hit, then a corrupt file rebuilt to the same values', async () => {
  const cacheDir = tempDir('omniglot-cache');
  const zipDir = syntheticDataDir('zip');
  const folderDir = syntheticDataDir('folder');
  const a = await loadOmniglot({ split: 'background', dataDir: zipDir, cacheDir });
  const b = await loadOmniglot({ split: 'background', dataDir: folderDir, cacheDir });
  assert.deepEqual([a.archives[0]!.status, b.archives[0]!.status], ['miss', 'miss']);
  assert.notEqual(a.archives[0]!.cacheFile, b.archives[0]!.cacheFile, 'different sources, different keys');
  assert.deepEqual(b.classIds, a.classIds);
  for (let c = 0; c < 3; c++) assert.deepEqual(classExamples(b, c).data, classExamples(a, c).data);
  const hit = await loadOmniglot({ split: 'background', dataDir: zipDir, cacheDir });
  assert.equal(hit.archives[0]!.status, 'hit');
  const file = a.archives[0]!.cacheFile!;
  const bytes = readFileSync(file);
  bytes[bytes.length - 100]! ^= 0x5a;
  writeFileSync(file, bytes);
  const rebuilt = await loadOmniglot({ split: 'background', dataDir: zipDir, cacheDir });
  assert.equal(rebuilt.archives[0]!.status, 'corrupt');
  assert.equal(rebuilt.archives[0]!.reason, 'payload checksum mismatch');
  for (let c = 0; c < 3; c++) assert.deepEqual(classExamples(rebuilt, c).data, classExamples(a, c).data);
  assert.equal((await loadOmniglot({ split: 'background', dataDir: zipDir, cacheDir })).archives[0]!.status, 'hit');
  const other = await loadOmniglot({ split: 'background', dataDir: zipDir, cacheDir, resize: 'nearest' });
  assert.equal(other.archives[0]!.status, 'miss', 'preprocessing options are part of the key');
});

test("resize 'nearest' gives bilevel images sampling pixel floor((i + 0.5) * 3.75) (MAML's effective filter)", async () => {
  const ds = await loadOmniglot({ split: 'background', dataDir: syntheticDataDir(), cacheDir: false, resize: 'nearest' });
  const x = new Float32Array(784);
  ds.writeExample(1, 2, x, 0);
  const ink = rect(1, 2);
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) assert.equal(x[i * 28 + j], ink(Math.floor((i + 0.5) * 3.75), Math.floor((j + 0.5) * 3.75)));
});

test('errors name the function and argument: unknown split, bad options, missing data, missing character, malformed split, corrupt PNG', async () => {
  const dataDir = syntheticDataDir();
  const rejects = (p: Promise<unknown>, kind: Parameters<typeof MetaLearnError.is>[1], what: RegExp) => assert.rejects(p, (e) => MetaLearnError.is(e, kind) && what.test(e.message));
  await rejects(loadOmniglot({ split: 'training' as never, dataDir }), 'invalidArgument', /^loadOmniglot: options\.split must be one of/);
  await rejects(loadOmniglot({ split: 'train', dataDir, imageSize: 0 }), 'invalidArgument', /options\.imageSize/);
  await rejects(loadOmniglot({ split: 'train', dataDir, resize: 'cubic' as never }), 'invalidArgument', /options\.resize/);
  await rejects(loadOmniglot({ split: 'train', dataDir: join(dataDir, 'nope') }), 'dataNotFound', /resolveDataDir/);
  await rejects(loadOmniglot({ split: 'val', dataDir, cacheDir: false }), 'dataNotFound', /split file for 'val' not found/);
  await rejects(loadOmniglot({ split: 'evaluation', dataDir: tempDir('empty'), cacheDir: false }), 'dataNotFound', /Omniglot archive 'images_evaluation' not found/);
  writeFileSync(join(dataDir, 'omniglot', 'splits', 'test.txt'), 'Alpha/character09/rot000\n');
  await rejects(loadOmniglot({ split: 'test', dataDir, cacheDir: false }), 'dataNotFound', /lists 'Alpha\/character09\/rot000'/);
  writeFileSync(join(dataDir, 'omniglot', 'splits', 'val.txt'), 'Alpha/character01/rot000\nAlpha/character01\n');
  await rejects(loadOmniglot({ split: 'val', dataDir, cacheDir: false }), 'corruptData', /val\.txt line 2 must be 'Alphabet\/characterNN\/rotDDD'/);
  const files = syntheticOmniglotFiles('images_background', { Alpha: 1 }, 2);
  files['images_background/Alpha/character01/1000_02.png'] = new TextEncoder().encode('not a png');
  writeFileSync(join(dataDir, 'omniglot', 'images_background.zip'), zipSync(files));
  await rejects(loadOmniglot({ split: 'background', dataDir, cacheDir: false }), 'corruptData', /decodePng: .*images_background\/Alpha\/character01\/1000_02\.png is not a PNG/);
});

const real = realDataDir();
const skipReal = real === undefined ? 'no data dir' : false;

test('real Omniglot: class counts of every split (Vinyals 1028/172/423/1200 x 4; official 964/659; small 136/156), 20 drawings each; first load vs cached load timed', { skip: skipReal }, async (t) => {
  const cacheDir = testCacheDir();
  const t0 = performance.now();
  const train = await loadOmniglot({ split: 'train', dataDir: real, cacheDir });
  const firstMs = performance.now() - t0;
  const t1 = performance.now();
  const again = await loadOmniglot({ split: 'train', dataDir: real, cacheDir });
  const cachedMs = performance.now() - t1;
  t.diagnostic(`train: first load ${firstMs.toFixed(0)} ms (${train.archives.map((a) => `${a.status} ${a.elapsedMs.toFixed(0)} ms`).join(', ')}), cached load ${cachedMs.toFixed(0)} ms (${again.archives.map((a) => a.status).join(', ')})`);
  assert.deepEqual(again.archives.map((a) => a.status), ['hit', 'hit']);
  const expected: Array<[Parameters<typeof loadOmniglot>[0]['split'], boolean | undefined, number]> = [
    ['train', undefined, 4112], ['val', undefined, 688], ['test', undefined, 1692], ['trainval', undefined, 4800],
    ['background', undefined, 964], ['background', true, 3856], ['evaluation', undefined, 659],
    ['background-small1', undefined, 136], ['background-small2', undefined, 156],
  ];
  for (const [split, rotations, n] of expected) {
    const ds = split === 'train' && rotations === undefined ? train : await loadOmniglot({ split, dataDir: real, cacheDir, ...(rotations !== undefined ? { rotations } : {}) });
    assert.equal(ds.classIds.length, n, `${split}${rotations ? ' with rotations' : ''}`);
    assert.equal(new Set(ds.classIds).size, n, 'unique ids');
    for (let c = 0; c < n; c++) assert.equal(ds.exampleCount(c), 20, `${split} ${ds.classIds[c]}`);
  }
  assert.equal(train.classIds[0], 'Angelic/character01/rot000');
  assert.equal(train.classIds[1], 'Angelic/character01/rot090');
});

test('real Omniglot: a known drawing (Alphabet_of_the_Magi/character01/0709_01.png) matches pngjs + an exact area integral pixel by pixel', { skip: skipReal }, async (t) => {
  const bg = await loadOmniglot({ split: 'background', dataDir: real, cacheDir: testCacheDir() });
  const c = classIndexOf(bg, 'Alphabet_of_the_Magi/character01');
  assert.equal(bg.files[c]![0], '0709_01.png');
  const zip = unzipSync(readFileSync(join(real!, 'omniglot', 'images_background.zip')), { filter: (f) => f.name === 'images_background/Alphabet_of_the_Magi/character01/0709_01.png' });
  const png = pngjs.PNG.sync.read(Buffer.from(Object.values(zip)[0]!));
  assert.deepEqual([png.width, png.height], [105, 105]);
  const inkAt = (r: number, c2: number) => (png.data[(r * 105 + c2) * 4]! === 0 ? 1 : 0);
  let inkPixels = 0;
  for (let r = 0; r < 105; r++) for (let c2 = 0; c2 < 105; c2++) inkPixels += inkAt(r, c2);
  const x = new Float32Array(784);
  bg.writeExample(c, 0, x, 0);
  const mean = x.reduce((a, b) => a + b, 0) / 784;
  const err = maxAreaError(bg, c, 0, inkAt);
  t.diagnostic(`ink pixels ${inkPixels} of 11025 (fraction ${(inkPixels / 11025).toFixed(5)}); 28x28 mean ${mean.toFixed(5)}; max |value - exact area| ${err.toExponential(2)} (bound 1/510 = 1.96e-3)`);
  assert.ok(inkPixels > 100 && inkPixels < 2000, `a drawing has some ink: ${inkPixels}`);
  assert.ok(Math.abs(mean - inkPixels / 11025) <= QUANT, 'the mean ink is preserved');
  assert.ok(err <= QUANT);
  assert.ok(x.every((v) => v >= 0 && v <= 1));
  assert.ok(x.some((v) => v > 0.99) && x.filter((v) => v === 0).length > 392, 'ink = 1 on strokes, paper = 0 mostly');
});

// Pillow 9.4 reference outputs for images_background/Alphabet_of_the_Magi/character01/0709_01.png,
// computed outside this project (python3: PIL.Image):
//   MAML:      1 - np.array(Image.open(p).resize((28, 28), Image.LANCZOS))  (mode '1': Pillow uses NEAREST), as 784 bits
//   MAML_ROT:  the same after Image.open(p).rotate(90)
//   TV_LANCZOS: np.array(Image.open(p).convert('L').resize((28, 28), Image.LANCZOS)), 784 gray bytes (paper = 255)
const PIL_MAML = '00000000000000000000000000000000000000000000000000000000000000007003f001801800080180008018001c018001c01b001c01b003c010006c010004fff000e3800002000000000000000000000000000000000000000000000000000000';
const PIL_MAML_ROT90 = '0000000000000000000000000000004300000430000040000007f000007fe000040200000020000002000000200000020000002000000300000030000003000007e00003fe0000678000040d80004070000001000000000000000000000000000000';
const PIL_TV_LANCZOS =
  'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffefefffffffffffffffffffffffefefefefefffffffffffffffffffffffffcfefffffffffffffffffffffffffffffffffffffffffffffffefcfffffffefffffffffffffffffcfaf9fcfcfffffffffffffffbff8d091365f9fffefffffffffdffd90914190c095ffffcfffffffffdffcb927f0748f0fdfefffffffeffec92390f9492bdfffeffffffffffffffffffb600b0fffbfffffffffffeff7822fffffffffffffffffffffffdf8fbb7029ffffbfffffffffffdfb3746fbf6f9fffffffffffffffffffcfe5f0167fffbfffffffffffeff1f71fffffffffffffffffffffffdfeee0e0068fffbfffffffffffeff2568ff8d79fffdfffffffffffffbff9d081660fffbfffffffffffeff2166ff755cfffdfffffffffffdfdea086e4654fef7fcfffffffdffdc03a3fffffffffffffffffffffcff4b0bf33b5bffffffffffffffffab01e4fffcfdfffffffffffffcff9400afff350030574915151514160705f4fefefffffffffffffffcff4000219fbf83453337777f7e7f8082a7fefefffffffffffffffffefeea9d6ed8fffffffffffffffffffffffffffffffffffffffffffffffffffffffffcfbfcfcfcfbfbfbfbfbfbfcfffffffffffffffffffffffffefbfbfeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
const bitsOf = (hex: string) => BigInt(`0x${hex}`).toString(2).padStart(784, '0').split('').map(Number);

test("real Omniglot against Pillow 9.4: 'nearest' = MAML's images bit for bit (rot090 too); 'lanczos' = torchvision's within one level", { skip: skipReal }, async (t) => {
  // The preprocessing function the loader applies to every drawing, on this one file (decoding the
  // whole archive with two more filters would cost seconds for nothing more).
  const zip = unzipSync(readFileSync(join(real!, 'omniglot', 'images_background.zip')), { filter: (f) => f.name === 'images_background/Alphabet_of_the_Magi/character01/0709_01.png' });
  const png = Object.values(zip)[0]!;
  const q = new Uint8Array(784);
  preprocessOmniglotPng(png, '0709_01.png', { imageSize: 28, resize: 'nearest' }, q, 0);
  assert.deepEqual([...q].map((v) => v / 255), bitsOf(PIL_MAML));
  const rot = rotationIndexMap(28, 90);
  assert.deepEqual([...rot].map((p) => q[p]! / 255), bitsOf(PIL_MAML_ROT90), 'rot090 = PIL Image.rotate(90) (counter-clockwise)');
  preprocessOmniglotPng(png, '0709_01.png', { imageSize: 28, resize: 'lanczos' }, q, 0);
  const ref = Buffer.from(PIL_TV_LANCZOS, 'hex');
  let worst = 0;
  for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(q[i]! - (255 - ref[i]!)));
  t.diagnostic(`lanczos: max |ours - Pillow| = ${worst} levels of 255`);
  assert.ok(worst <= 1, `${worst} levels`);
});
