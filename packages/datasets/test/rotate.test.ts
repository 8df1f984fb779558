import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';
import { ROTATIONS, parseRotationToken, rotationIndexMap, rotationToken } from '@metalearn/datasets';

// A 3x3 image with distinct values, row-major:   1 2 3 / 4 5 6 / 7 8 9
const img = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const apply = (deg: 0 | 90 | 180 | 270) => [...rotationIndexMap(3, deg)].map((i) => img[i]);

test('rotations are counter-clockwise like PIL Image.rotate (hand-computed 3x3)', () => {
  assert.deepEqual(apply(0), img);
  assert.deepEqual(apply(90), [3, 6, 9, 2, 5, 8, 1, 4, 7], 'the top row becomes the left column, read bottom-up');
  assert.deepEqual(apply(180), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual(apply(270), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
});

test('four quarter turns are the identity; 90 then 270 is the identity (28x28)', () => {
  const m = rotationIndexMap(28, 90);
  let perm = Array.from({ length: 784 }, (_, i) => i);
  for (let k = 0; k < 4; k++) perm = perm.map((_, p) => perm[m[p]!]!);
  assert.deepEqual(perm, Array.from({ length: 784 }, (_, i) => i));
  const m270 = rotationIndexMap(28, 270);
  assert.ok([...m].every((_, p) => m[m270[p]!] === p));
});

test('rotation tokens: rot000/rot090/rot180/rot270 round-trip; anything else is invalidArgument', () => {
  for (const d of ROTATIONS) assert.equal(parseRotationToken(rotationToken(d)), d);
  assert.equal(rotationToken(90), 'rot090');
  for (const bad of ['rot045', 'rot90', 'r090', 'rot360']) {
    assert.throws(() => parseRotationToken(bad), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes(bad));
  }
  assert.throws(() => rotationIndexMap(3, 45 as never), (e) => MetaLearnError.is(e, 'invalidArgument'));
});
