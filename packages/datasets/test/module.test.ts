import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { zipSync } from 'fflate';
import { MetaLearnError, createPluginContainer, deriveSeed, disposeEpisode, initEngine, listPlugins, pluginModule, resolvePlugin } from '@metalearn/core';
import { affineWarpImage, datasetsModule, sampleSinusoidTask, sinusoidPlugin } from '@metalearn/datasets';
import { realDataDir, syntheticOmniglotFiles, tempDir, testCacheDir } from './fixtures.js';

await initEngine({ log: () => undefined });

test("datasetsModule registers 'mini-imagenet', 'omniglot', 'sinusoid' (kind dataset, documented); binding one twice is an error", () => {
  const c = createPluginContainer(datasetsModule);
  const all = listPlugins(c, 'dataset');
  assert.deepEqual(all.map((p) => p.name), ['mini-imagenet', 'omniglot', 'sinusoid']);
  for (const p of all) {
    assert.equal(p.kind, 'dataset');
    assert.equal(p.provider, '@metalearn/datasets');
    assert.ok(p.summary.length > 20, p.name);
  }
  assert.throws(() => createPluginContainer(datasetsModule, pluginModule([sinusoidPlugin])), (e) => MetaLearnError.is(e, 'duplicatePlugin'));
});

test("'sinusoid' through the container: ways 1; train and test streams differ; episodes equal sampleSinusoidTask of the derived seed", async () => {
  const c = createPluginContainer(datasetsModule);
  const plugin = resolvePlugin(c, 'dataset', 'sinusoid');
  const train = await plugin.create({ split: 'train', ways: 1, shots: 5, queryShots: 7, seed: 1 });
  const test2 = await plugin.create({ split: 'test', ways: 1, shots: 5, queryShots: 7, seed: 1 });
  assert.deepEqual([train.kind, train.ways, train.shots, train.queryShots, train.inputShape], ['regression', 1, 5, 7, [1]]);
  const before = tf.memory().numTensors;
  const a = train.episode(0);
  const b = test2.episode(0);
  assert.deepEqual(a.query.x.shape, [7, 1]);
  assert.notDeepEqual(await a.support.x.data(), await b.support.x.data());
  const again = (await plugin.create({ split: 'train', ways: 1, shots: 5, queryShots: 7, seed: 1 })).episode(0);
  assert.deepEqual(await again.support.y.data(), await a.support.y.data(), 'deterministic in (seed, split, index)');
  const direct = sampleSinusoidTask({ shots: 5, queryShots: 7, seed: deriveSeed(1, 'sinusoid-split', 'train') }, 0);
  assert.deepEqual(await direct.query.y.data(), await a.query.y.data());
  [a, b, again, direct].forEach(disposeEpisode);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(plugin.create({ split: 'train', ways: 2, shots: 5, queryShots: 5, seed: 1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('args.ways must be 1'));
  await assert.rejects(plugin.create({ split: 'dev', ways: 1, shots: 5, queryShots: 5, seed: 1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes("args.split must be one of train, val, test, got 'dev'"));
  await assert.rejects(plugin.create({ split: 'train', ways: 1, shots: 5, queryShots: 5, seed: 1, options: { amplitude: [1, 2] } }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes("unknown option 'amplitude'"));
  const wide = await plugin.create({ split: 'test', ways: 1, shots: 3, queryShots: 3, seed: 1, options: { amplitudeRange: [6, 7] } });
  const w = wide.episode(0) as ReturnType<typeof sampleSinusoidTask>;
  assert.ok(w.amplitude >= 6 && w.amplitude <= 7, 'options reach the task family');
  disposeEpisode(w);
});

test("'omniglot' through the container on a synthetic data dir: N-way K-shot sources; option errors name the option", async () => {
  const root = tempDir('plugin-omniglot');
  mkdirSync(join(root, 'omniglot'));
  writeFileSync(join(root, 'omniglot', 'images_background.zip'), zipSync(syntheticOmniglotFiles('images_background', { Alpha: 3, Beta: 2 }, 6)));
  const plugin = resolvePlugin(createPluginContainer(datasetsModule), 'dataset', 'omniglot');
  const src = await plugin.create({ split: 'background', ways: 3, shots: 2, queryShots: 4, seed: 9, dataDir: root, options: { cacheDir: false, rotations: true } });
  assert.deepEqual([src.kind, src.ways, src.shots, src.queryShots, src.inputShape], ['classification', 3, 2, 4, [28, 28, 1]]);
  const e = src.episode(5);
  assert.deepEqual(e.support.x.shape, [6, 28, 28, 1]);
  assert.deepEqual(e.query.x.shape, [12, 28, 28, 1]);
  disposeEpisode(e);
  await assert.rejects(plugin.create({ split: 'background', ways: 3, shots: 4, queryShots: 4, seed: 9, dataDir: root, options: { cacheDir: false } }), (err) => MetaLearnError.is(err, 'notEnoughExamples') && err.message.includes("class 'Alpha/character01'"));
  await assert.rejects(plugin.create({ split: 'background', ways: 3, shots: 1, queryShots: 1, seed: 9, dataDir: root, options: { resize: 3 } }), (err) => MetaLearnError.is(err, 'invalidArgument') && err.message.includes('options.resize must be a string'));
  await assert.rejects(plugin.create({ split: 'one-shot-runs', ways: 5, shots: 1, queryShots: 1, seed: 9, dataDir: root }), (err) => MetaLearnError.is(err, 'invalidArgument') && err.message.includes('ways 20, shots 1, queryShots 1'));
  // options.warp: the same episode, every image sheared (a distribution shift at meta-test time).
  const args = { split: 'background', ways: 3, shots: 1, queryShots: 1, seed: 4, dataDir: root };
  const plain = (await plugin.create({ ...args, options: { cacheDir: false } })).episode(2);
  const sheared = (await plugin.create({ ...args, options: { cacheDir: false, warp: { shear: 0.5 } } })).episode(2);
  const px = await plain.support.x.data();
  const expected = affineWarpImage(Float32Array.from(px.subarray(0, 784)), 28, 28, 1, { shear: 0.5 });
  assert.deepEqual((await sheared.support.x.data()).subarray(0, 784), expected);
  assert.deepEqual(await sheared.support.y.data(), await plain.support.y.data());
  [plain, sheared].forEach(disposeEpisode);
  await assert.rejects(plugin.create({ ...args, options: { warp: { shear: '1' } } }), (err) => MetaLearnError.is(err, 'invalidArgument') && err.message.includes('options.warp.shear must be a number'));
});

const real = realDataDir();

test("real data through the plugins: omniglot 'test' 20-way 5-shot episodes and the 20 one-shot runs", { skip: real === undefined ? 'no data dir' : false }, async () => {
  const plugin = resolvePlugin(createPluginContainer(datasetsModule), 'dataset', 'omniglot');
  const before = tf.memory().numTensors;
  const test20 = await plugin.create({ split: 'test', ways: 20, shots: 5, queryShots: 15, seed: 600, dataDir: real, options: { cacheDir: testCacheDir() } });
  const e = test20.episode(599);
  assert.deepEqual(e.support.x.shape, [100, 28, 28, 1]);
  assert.deepEqual(e.query.y.shape, [300]);
  disposeEpisode(e);
  const runs = await plugin.create({ split: 'one-shot-runs', ways: 20, shots: 1, queryShots: 1, seed: 0, dataDir: real });
  assert.equal(runs.size, 20);
  const r = runs.metaBatch(0, 20);
  assert.equal(r.length, 20);
  assert.deepEqual(r[19]!.support.x.shape, [20, 28, 28, 1]);
  r.forEach(disposeEpisode);
  assert.throws(() => runs.episode(20), (err) => MetaLearnError.is(err, 'invalidArgument') && err.message.includes('[0, 20)'));
  assert.equal(tf.memory().numTensors, before);
});
