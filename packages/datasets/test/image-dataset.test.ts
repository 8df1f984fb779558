import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, availableBackends } from '@metalearn/core';
import { classExamples, classIndexOf, classTensor, createUint8ImageDataset, selectClasses } from '@metalearn/datasets';

// Store of 3 examples of shape [2, 2, 1]: bytes 0..11.
const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
const ds = createUint8ImageDataset('toy', [2, 2, 1], pixels, [
  { id: 'a', firstExample: 0, count: 2 },
  { id: 'a/rot090', firstExample: 0, count: 2, rotation: 90 },
  { id: 'b', firstExample: 2, count: 1 },
]);

test('writeExample reads q / 255 and applies the class rotation (counter-clockwise)', () => {
  const out = new Float32Array(6).fill(-1);
  ds.writeExample(0, 1, out, 2);
  assert.deepEqual([...out], [-1, -1, ...[80, 100, 120, 140].map((q) => Math.fround(q / 255))]);
  const rot = new Float32Array(4);
  ds.writeExample(1, 0, rot, 0); // example 0 = [[0, 20], [40, 60]] rotated 90° ccw = [[20, 60], [0, 40]]
  assert.deepEqual([...rot], [20, 60, 0, 40].map((q) => Math.fround(q / 255)));
  assert.deepEqual(ds.classIds, ['a', 'a/rot090', 'b']);
  assert.equal(ds.exampleCount(2), 1);
  assert.equal(classIndexOf(ds, 'b'), 2);
});

test('classExamples packs [n, H, W, C]; classTensor returns the same values and leaks nothing', async () => {
  const { data, shape } = classExamples(ds, 0);
  assert.deepEqual(shape, [2, 2, 2, 1]);
  assert.deepEqual([...data], [0, 20, 40, 60, 80, 100, 120, 140].map((q) => Math.fround(q / 255)));
  for (const backend of await availableBackends()) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const t = classTensor(ds, 0);
    assert.deepEqual(t.shape, [2, 2, 2, 1]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual([...(await t.data())], [...data], backend);
    t.dispose();
    assert.equal(tf.memory().numTensors, before, `${backend}: no leaked tensor`);
  }
});

test('selectClasses: a view of the kept classes, with its own indices', () => {
  const v = selectClasses(ds, (id) => id.startsWith('a'), 'toy[a]');
  assert.deepEqual(v.classIds, ['a', 'a/rot090']);
  const x = new Float32Array(4);
  v.writeExample(1, 0, x, 0);
  assert.deepEqual([...x], [20, 60, 0, 40].map((q) => Math.fround(q / 255)));
  assert.throws(() => v.exampleCount(2), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('classIndex'));
  assert.throws(() => selectClasses(ds, () => false), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('selectClasses: keep'));
});

test('createUint8ImageDataset and writeExample: invalidArgument naming the argument', () => {
  const bad = (f: () => unknown, what: RegExp) => assert.throws(f, (e) => MetaLearnError.is(e, 'invalidArgument') && what.test(e.message));
  bad(() => createUint8ImageDataset('x', [2, 2, 1], new Uint8Array(5), []), /pixels must hold/);
  bad(() => createUint8ImageDataset('x', [2, 2, 1], pixels, [{ id: 'a', firstExample: 0, count: 1 }, { id: 'a', firstExample: 1, count: 1 }]), /classes\[1\]\.id 'a' is a duplicate/);
  bad(() => createUint8ImageDataset('x', [2, 2, 1], pixels, [{ id: 'a', firstExample: 2, count: 2 }]), /classes\[0\] \('a'\) covers examples 2\.\.3/);
  bad(() => createUint8ImageDataset('x', [1, 2, 1], new Uint8Array(2), [{ id: 'a', firstExample: 0, count: 1, rotation: 90 }]), /rotation needs square/);
  bad(() => ds.writeExample(0, 2, new Float32Array(4), 0), /writeExample: exampleIndex must be an integer in \[0, 2\) for class 'a'/);
  bad(() => ds.writeExample(3, 0, new Float32Array(4), 0), /writeExample: classIndex/);
  bad(() => ds.writeExample(0, 0, new Float32Array(4), 1), /writeExample: offset/);
  bad(() => classIndexOf(ds, 'zzz'), /classIndexOf: classId 'zzz'/);
});
