import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import tarStream from 'tar-stream';
import { MetaLearnError } from '@metalearn/core';
import { MINI_IMAGENET_CLASSES, classExamples, loadMiniImageNet } from '@metalearn/datasets';
import { realDataDir, tempDir, testCacheDir } from './fixtures.js';

/** A JPEG of one colour (quality 100). */
function solidJpeg(size: number, rgb: [number, number, number]): Uint8Array {
  const data = Buffer.alloc(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set([...rgb, 255], i * 4);
  return jpeg.encode({ width: size, height: size, data }, 100).data;
}

async function tarOf(files: Record<string, Uint8Array>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const [name, bytes] of Object.entries(files)) pack.entry({ name, size: bytes.length }, Buffer.from(bytes));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const COLOURS: Record<string, [number, number, number]> = { n00000001: [200, 30, 90], n00000002: [10, 250, 128] };

/** val split: class n00000001 with three 84x84 images, n00000002 with two 40x40 images (resized). */
async function syntheticDataDir(layout: 'tar' | 'folder', csvExtra = ''): Promise<string> {
  const root = tempDir(`mini-${layout}`);
  const dir = join(root, 'mini-imagenet');
  mkdirSync(join(dir, 'splits'), { recursive: true });
  const files: Record<string, Uint8Array> = {};
  const csv = ['filename,label'];
  for (const [wnid, n, size] of [['n00000002', 2, 40], ['n00000001', 3, 84]] as const) {
    for (let k = n; k >= 1; k--) {
      const f = `${wnid}${String(k).padStart(8, '0')}.jpg`;
      files[`val/${wnid}/${f}`] = solidJpeg(size, COLOURS[wnid]!);
      csv.push(`${f},${wnid}`);
    }
  }
  writeFileSync(join(dir, 'splits', 'val.csv'), csv.join('\n') + '\n' + csvExtra);
  if (layout === 'tar') writeFileSync(join(dir, 'val.tar'), await tarOf(files));
  else for (const [p, b] of Object.entries(files)) (mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), b));
  return root;
}

test('synthetic tar: classes sorted by wnid, files sorted, [84, 84, 3] float32 = colour / 255 (JPEG q100: |err| <= 3/255); 40x40 images resized', async () => {
  const ds = await loadMiniImageNet({ split: 'val', dataDir: await syntheticDataDir('tar'), cacheDir: false });
  assert.deepEqual(ds.classIds, ['n00000001', 'n00000002']);
  assert.deepEqual(ds.exampleShape, [84, 84, 3]);
  assert.deepEqual([ds.exampleCount(0), ds.exampleCount(1)], [3, 2]);
  assert.deepEqual(ds.files[0], ['n0000000100000001.jpg', 'n0000000100000002.jpg', 'n0000000100000003.jpg']);
  assert.deepEqual(ds.listedPerClass, { n00000001: 3, n00000002: 2 });
  for (const [c, wnid] of ds.classIds.entries()) {
    const { data, shape } = classExamples(ds, c);
    assert.deepEqual(shape, [ds.exampleCount(c), 84, 84, 3]);
    let worst = 0;
    for (let k = 0; k < data.length; k++) worst = Math.max(worst, Math.abs(data[k]! - COLOURS[wnid]![k % 3]! / 255));
    assert.ok(worst <= 3 / 255 + 1e-6, `${wnid}: max error ${worst * 255} levels`);
  }
});

test('an extracted folder gives the tar pixels; the cache hits the second time', async () => {
  const cacheDir = tempDir('mini-cache');
  const a = await loadMiniImageNet({ split: 'val', dataDir: await syntheticDataDir('tar'), cacheDir });
  const b = await loadMiniImageNet({ split: 'val', dataDir: await syntheticDataDir('folder'), cacheDir });
  assert.deepEqual([a.cacheStatus, b.cacheStatus], ['miss', 'miss']);
  assert.deepEqual(classExamples(b, 1).data, classExamples(a, 1).data);
  const dataDir = await syntheticDataDir('tar');
  await loadMiniImageNet({ split: 'val', dataDir, cacheDir });
  const again = await loadMiniImageNet({ split: 'val', dataDir, cacheDir });
  assert.equal(again.cacheStatus, 'hit');
  assert.deepEqual(classExamples(again, 0).data, classExamples(a, 0).data);
});

test('corruptData when the csv lists an image under another class; invalidArgument on a bad split; dataNotFound without the archive', async () => {
  const dataDir = await syntheticDataDir('tar');
  writeFileSync(join(dataDir, 'mini-imagenet', 'splits', 'val.csv'), 'filename,label\nn0000000100000001.jpg,n00000002\n');
  await assert.rejects(loadMiniImageNet({ split: 'val', dataDir, cacheDir: false }), (e) => MetaLearnError.is(e, 'corruptData') && /val\/n00000001\/n0000000100000001\.jpg is not listed under class n00000001 .*listed: n00000002/.test(e.message));
  await assert.rejects(loadMiniImageNet({ split: 'dev' as never, dataDir }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('loadMiniImageNet: options.split'));
  await assert.rejects(loadMiniImageNet({ split: 'test', dataDir, cacheDir: false }), (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.includes("mini-ImageNet 'test' archive not found"));
});

const real = realDataDir();

test('real mini-ImageNet val.tar: 16 classes x 600 images of [84, 84, 3] in [0, 1], all listed in val.csv; first vs cached load timed', { skip: real === undefined ? 'no data dir' : false }, async (t) => {
  const cacheDir = testCacheDir();
  const t0 = performance.now();
  const ds = await loadMiniImageNet({ split: 'val', dataDir: real, cacheDir });
  const firstMs = performance.now() - t0;
  const t1 = performance.now();
  const again = await loadMiniImageNet({ split: 'val', dataDir: real, cacheDir });
  t.diagnostic(`val: first load ${firstMs.toFixed(0)} ms (${ds.cacheStatus}), second ${(performance.now() - t1).toFixed(0)} ms (${again.cacheStatus})`);
  assert.equal(again.cacheStatus, 'hit');
  assert.equal(ds.classIds.length, MINI_IMAGENET_CLASSES.val);
  for (let c = 0; c < 16; c++) {
    assert.equal(ds.exampleCount(c), 600, ds.classIds[c]);
    assert.equal(ds.listedPerClass![ds.classIds[c]!], 600);
  }
  const { data } = classExamples(ds, 0);
  let sum = 0;
  for (const v of data) {
    assert.ok(v >= 0 && v <= 1);
    sum += v;
  }
  const mean = sum / data.length;
  t.diagnostic(`${ds.classIds[0]}: mean pixel ${mean.toFixed(4)}`);
  assert.ok(mean > 0.2 && mean < 0.8, 'natural images are neither black nor white on average');
});
