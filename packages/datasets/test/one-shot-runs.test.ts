import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { strFromU8, unzipSync, zipSync } from 'fflate';
import { MetaLearnError, availableBackends, disposeEpisode, initEngine } from '@metalearn/core';
import { classIndexOf, loadOmniglot, loadOneShotRuns, readOneShotRuns } from '@metalearn/datasets';
import { realDataDir, syntheticDrawing, tempDir, testCacheDir } from './fixtures.js';

await initEngine({ log: () => undefined });

/** A synthetic all_runs.zip: 2 runs x 3 classes; test item i belongs to class perm[i]. */
function syntheticRuns(perms: number[][], extra: Record<string, Uint8Array> = {}): string {
  const root = tempDir('runs');
  mkdirSync(join(root, 'omniglot'));
  const files: Record<string, Uint8Array> = {};
  for (const [r, perm] of perms.entries()) {
    const run = `run${String(r + 1).padStart(2, '0')}`;
    const lines: string[] = [];
    for (let c = 0; c < perm.length; c++) files[`${run}/training/class${String(c + 1).padStart(2, '0')}.png`] = syntheticDrawing(c + 3 * r, 0).png;
    for (const [i, c] of perm.entries()) {
      const item = `${run}/test/item${String(i + 1).padStart(2, '0')}.png`;
      files[item] = syntheticDrawing(c + 3 * r, 1).png; // another drawing of the same character
      lines.push(`${item} ${run}/training/class${String(c + 1).padStart(2, '0')}.png`);
    }
    files[`${run}/class_labels.txt`] = new TextEncoder().encode(lines.join('\n') + '\n');
  }
  writeFileSync(join(root, 'omniglot', 'all_runs.zip'), zipSync({ ...files, ...extra }));
  return root;
}

test('synthetic runs: support class01..classNN labelled 0..N-1, query items labelled from class_labels.txt, images preprocessed like the loader', async () => {
  const dataDir = syntheticRuns([[2, 0, 1], [1, 2, 0]]);
  const runs = await readOneShotRuns({ dataDir });
  assert.deepEqual(runs.map((r) => r.run), ['run01', 'run02']);
  assert.deepEqual([...runs[0]!.supportY], [0, 1, 2]);
  assert.deepEqual([...runs[0]!.queryY], [2, 0, 1]);
  assert.deepEqual([...runs[1]!.queryY], [1, 2, 0]);
  assert.deepEqual(runs[0]!.queryFiles, ['test/item01.png', 'test/item02.png', 'test/item03.png']);
  // Each query image is drawing 1 of its class: compare with run01's support mean ink (same rectangle size).
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(runs[0]!.queryX.subarray(0, 784)) - (21 * 14) / 11025) <= 1 / 510);
  // Same preprocessing as loadOmniglot: build an archive from the very same PNGs and compare bytes.
  const zip = unzipSync(readFileSync(join(dataDir, 'omniglot', 'all_runs.zip')));
  const bg: Record<string, Uint8Array> = {};
  for (let c = 1; c <= 3; c++) bg[`images_background/Runs/character0${c}/0000_01.png`] = zip[`run01/training/class0${c}.png`]!;
  writeFileSync(join(dataDir, 'omniglot', 'images_background.zip'), zipSync(bg));
  const ds = await loadOmniglot({ split: 'background', dataDir, cacheDir: false });
  const x = new Float32Array(784);
  for (let c = 0; c < 3; c++) {
    ds.writeExample(c, 0, x, 0);
    assert.deepEqual(x, runs[0]!.supportX.subarray(c * 784, (c + 1) * 784), `class0${c + 1}`);
  }
});

test('episodes: 20-way-style layout, tensors owned by the caller, nothing leaked on any backend', async () => {
  const dataDir = syntheticRuns([[2, 0, 1], [1, 2, 0]]);
  for (const backend of await availableBackends()) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const eps = await loadOneShotRuns({ dataDir });
    assert.equal(eps.length, 2);
    const e = eps[0]!;
    assert.deepEqual([e.kind, e.ways, e.shots, e.queryShots], ['classification', 3, 1, 1]);
    assert.deepEqual(e.support.x.shape, [3, 28, 28, 1]);
    assert.deepEqual(e.query.x.shape, [3, 28, 28, 1]);
    assert.equal(e.query.y.dtype, 'int32');
    assert.deepEqual([...(await e.query.y.data())], [2, 0, 1], backend);
    assert.deepEqual(e.classIds, ['run01/training/class01.png', 'run01/training/class02.png', 'run01/training/class03.png']);
    eps.forEach(disposeEpisode);
    assert.equal(tf.memory().numTensors, before, backend);
  }
});

test('corruptData on a malformed label line, a missing file, a class with two test items', async () => {
  const bad = async (dataDir: string, what: RegExp) => assert.rejects(readOneShotRuns({ dataDir }), (e) => MetaLearnError.is(e, 'corruptData') && what.test(e.message));
  await bad(syntheticRuns([[0, 1, 2]], { 'run01/class_labels.txt': new TextEncoder().encode('run01/test/item01.png\n') }), /run01\/class_labels\.txt line 1 must be/);
  await bad(syntheticRuns([[0, 1, 2]], { 'run01/class_labels.txt': new TextEncoder().encode('run01/test/item01.png run01/training/class09.png\n') }), /names a missing file/);
  await bad(syntheticRuns([[0, 0, 1]]), /more than one test item of training\/class01\.png/);
  await assert.rejects(readOneShotRuns({ dataDir: tempDir('none') }), (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.includes('all_runs'));
});

const real = realDataDir();

test('real all_runs.zip: 20 runs of 20-way 1-shot; query labels equal class_labels.txt (parsed here independently); each run within one evaluation alphabet', { skip: real === undefined ? 'no data dir' : false }, async (t) => {
  const t0 = performance.now();
  const runs = await readOneShotRuns({ dataDir: real });
  t.diagnostic(`read and preprocessed 800 drawings in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(runs.length, 20);
  const zip = unzipSync(readFileSync(join(real!, 'omniglot', 'all_runs.zip')), { filter: (f) => f.name.endsWith('class_labels.txt') });
  for (const [r, run] of runs.entries()) {
    const name = `run${String(r + 1).padStart(2, '0')}`;
    assert.equal(run.run, name);
    assert.equal(run.supportX.length, 20 * 784);
    assert.equal(run.queryX.length, 20 * 784);
    const truth = strFromU8(zip[`${name}/class_labels.txt`]!).trim().split(/\r?\n/).map((l) => Number(/class(\d\d)\.png/.exec(l)![1]) - 1);
    assert.deepEqual([...run.queryY], truth, name);
    assert.deepEqual([...run.queryY].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), `${name}: one test item per class`);
    assert.ok(run.supportX.every((v) => v >= 0 && v <= 1) && run.supportX.some((v) => v > 0.5), `${name}: ink in [0, 1]`);
  }
  // The runs' drawings come from the evaluation set: run01 class01's 28x28 image equals some
  // evaluation drawing exactly (same PNG pixels, same preprocessing).
  const ev = await loadOmniglot({ split: 'evaluation', dataDir: real, cacheDir: testCacheDir() });
  const target = runs[0]!.supportX.subarray(0, 784);
  const x = new Float32Array(784);
  let found = '';
  for (let c = 0; c < ev.classIds.length && !found; c++) {
    for (let e = 0; e < ev.exampleCount(c) && !found; e++) {
      ev.writeExample(c, e, x, 0);
      if (x.every((v, k) => v === target[k])) found = `${ev.classIds[c]}/${ev.files[c]![e]}`;
    }
  }
  t.diagnostic(`run01/training/class01.png is ${found || 'not found'} in images_evaluation`);
  assert.notEqual(found, '', 'run01 class01 is an evaluation drawing');
  assert.ok(classIndexOf(ev, found.split('/').slice(0, 2).join('/')) >= 0);
});
