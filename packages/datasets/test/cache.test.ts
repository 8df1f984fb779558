import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { CACHE_FORMAT_VERSION, cached, decodeCacheFile, encodeCacheFile, stableStringify, type CachePayload } from '@metalearn/datasets';
import { tempDir } from './fixtures.js';

const payload = (): CachePayload => ({
  meta: { classes: ['a', 'b'], counts: [2, 3] },
  arrays: { pixels: Uint8Array.from([0, 1, 2, 253, 254, 255, 7]), ids: Int32Array.from([-5, 0, 2 ** 31 - 1]), values: Float32Array.from([0.5, -1.25, 3e-8]) },
});

test('stableStringify sorts object keys at every depth and rejects non-finite numbers', () => {
  assert.equal(stableStringify({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}');
  assert.equal(stableStringify({ a: 1, b: undefined }), '{"a":1}');
  assert.throws(() => stableStringify({ a: NaN }), (e) => MetaLearnError.is(e, 'invalidArgument'));
});

test('encode/decode round-trips every dtype bit-exactly and aligns the payload to 8 bytes', () => {
  const key = { v: 1, src: { size: 10, mtimeMs: 5 } };
  const bytes = encodeCacheFile(key, payload());
  assert.equal(bytes.subarray(0, 8).toString('latin1'), 'MLCACHE\n');
  const back = decodeCacheFile(bytes, { src: { mtimeMs: 5, size: 10 }, v: 1 }); // same key, other key order
  assert.ok(typeof back !== 'string', String(back));
  assert.deepEqual(back.meta, payload().meta);
  assert.deepEqual([...back.arrays['pixels']!], [...payload().arrays['pixels']!]);
  assert.ok(back.arrays['ids'] instanceof Int32Array);
  assert.deepEqual([...back.arrays['ids']!], [-5, 0, 2 ** 31 - 1]);
  assert.ok(back.arrays['values'] instanceof Float32Array);
  assert.deepEqual([...back.arrays['values']!], [...payload().arrays['values']!]);
  const headerLen = bytes.readUInt32LE(8);
  const bodyStart = Math.ceil((12 + headerLen) / 8) * 8;
  const header = JSON.parse(bytes.subarray(12, 12 + headerLen).toString('utf8'));
  assert.equal(header.formatVersion, CACHE_FORMAT_VERSION);
  for (const a of header.arrays) assert.equal((bodyStart + a.offset) % 8, 0, `array ${a.name} is 8-byte aligned`);
  // Bytes at an odd address (a view into a larger buffer): float32/int32 arrays are copied to alignment.
  const shifted = Buffer.alloc(bytes.length + 1);
  bytes.copy(shifted, 1);
  const odd = decodeCacheFile(shifted.subarray(1), key);
  assert.ok(typeof odd !== 'string', String(odd));
  assert.deepEqual([...odd.arrays['values']!], [...payload().arrays['values']!]);
  assert.deepEqual([...odd.arrays['ids']!], [-5, 0, 2 ** 31 - 1]);
});

test('decodeCacheFile rejects (never trusts) a wrong key, a flipped payload byte, a truncation, a bad magic, a bad version', () => {
  const key = { v: 1 };
  const good = encodeCacheFile(key, payload());
  assert.match(String(decodeCacheFile(good, { v: 2 })), /key mismatch/);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 20]! ^= 0x01;
  assert.equal(decodeCacheFile(flipped, key), 'payload checksum mismatch');
  assert.match(String(decodeCacheFile(good.subarray(0, good.length - 1), key)), /payload has/);
  assert.match(String(decodeCacheFile(good.subarray(0, 30), key)), /truncated header|payload has/);
  const magic = Buffer.from(good);
  magic[0] = 0x4e;
  assert.equal(decodeCacheFile(magic, key), 'bad magic');
  const text = good.toString('latin1').replace(`"formatVersion":${CACHE_FORMAT_VERSION}`, `"formatVersion":${CACHE_FORMAT_VERSION + 8}`);
  assert.match(String(decodeCacheFile(Buffer.from(text, 'latin1'), key)), /format version/);
});

test('cached: miss builds and writes atomically, hit reads back, a corrupt file is rebuilt, a key change misses', async () => {
  const dir = join(tempDir('cache'), 'nested', 'cache'); // created on first write
  let builds = 0;
  const build = () => {
    builds++;
    return payload();
  };
  const first = await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 1 }, build });
  assert.equal(first.status, 'miss');
  assert.equal(builds, 1);
  assert.deepEqual(readdirSync(dir), [first.file!.slice(dir.length + 1)], 'exactly one file, no temporary left behind');
  const second = await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 1 }, build });
  assert.equal(second.status, 'hit');
  assert.equal(builds, 1, 'a hit does not build');
  assert.deepEqual([...second.payload.arrays['values']!], [...payload().arrays['values']!]);

  const bytes = readFileSync(first.file!);
  bytes[bytes.length - 3]! ^= 0xff; // corrupt one payload byte in place
  writeFileSync(first.file!, bytes);
  const third = await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 1 }, build });
  assert.equal(third.status, 'corrupt');
  assert.equal(third.reason, 'payload checksum mismatch');
  assert.equal(builds, 2, 'the corrupt file was rebuilt');
  assert.deepEqual([...third.payload.arrays['pixels']!], [...payload().arrays['pixels']!]);
  const fourth = await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 1 }, build });
  assert.equal(fourth.status, 'hit', 'the rebuilt file is valid');

  writeFileSync(first.file!, 'garbage');
  assert.equal((await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 1 }, build })).status, 'corrupt');

  const other = await cached({ cacheDir: dir, namespace: 'unit-test', key: { k: 2 }, build });
  assert.equal(other.status, 'miss');
  assert.notEqual(other.file, first.file);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')).length, 0);
});

test('cached: cacheDir false builds every time; a malformed namespace is rejected', async () => {
  let builds = 0;
  const r = await cached({ cacheDir: false, namespace: 'x', key: 1, build: () => (builds++, payload()) });
  assert.equal(r.status, 'disabled');
  await cached({ cacheDir: false, namespace: 'x', key: 1, build: () => (builds++, payload()) });
  assert.equal(builds, 2);
  await assert.rejects(cached({ cacheDir: tempDir('ns'), namespace: '../evil', key: 1, build: payload }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('namespace'));
});
