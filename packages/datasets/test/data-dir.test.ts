import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { CACHE_DIR_ENV, DATA_DIR_ENV, findFirst, resolveCacheDir, resolveDataDir } from '@metalearn/datasets';
import { tempDir } from './fixtures.js';

test('resolveDataDir: the flag wins over METALEARN_DATA_DIR; the env is used without a flag', () => {
  const a = tempDir('flag');
  const b = tempDir('env');
  assert.equal(resolveDataDir(a, { [DATA_DIR_ENV]: b }), resolve(a));
  assert.equal(resolveDataDir(undefined, { [DATA_DIR_ENV]: b }), resolve(b));
  assert.equal(resolveDataDir('', { [DATA_DIR_ENV]: b }), resolve(b), 'an empty flag counts as absent');
});

test('resolveDataDir: dataNotFound naming both the flag and the variable when neither is set', () => {
  assert.throws(
    () => resolveDataDir(undefined, {}),
    (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.startsWith('resolveDataDir:') && e.message.includes('--data-dir') && e.message.includes(DATA_DIR_ENV),
  );
  assert.throws(() => resolveDataDir(undefined, { [DATA_DIR_ENV]: '' }), (e) => MetaLearnError.is(e, 'dataNotFound'));
});

test('resolveDataDir: dataNotFound naming the argument when the directory does not exist', () => {
  const missing = join(tempDir('missing'), 'nope');
  assert.throws(() => resolveDataDir(missing, {}), (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.includes('--data-dir') && e.message.includes(missing));
  assert.throws(() => resolveDataDir(undefined, { [DATA_DIR_ENV]: missing }), (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.includes(DATA_DIR_ENV) && e.message.includes(missing));
});

test('resolveCacheDir: argument > METALEARN_CACHE_DIR > XDG_CACHE_HOME/metalearn > ~/.cache/metalearn', () => {
  assert.equal(resolveCacheDir('/x/y', { [CACHE_DIR_ENV]: '/a' }), '/x/y');
  assert.equal(resolveCacheDir(undefined, { [CACHE_DIR_ENV]: '/a', XDG_CACHE_HOME: '/b' }), '/a');
  assert.equal(resolveCacheDir(undefined, { XDG_CACHE_HOME: '/b' }), '/b/metalearn');
  assert.equal(resolveCacheDir(undefined, {}), join(homedir(), '.cache', 'metalearn'));
});

test('findFirst: returns the first existing candidate, else dataNotFound listing every path tried', () => {
  const d = tempDir('find');
  assert.equal(findFirst('f', 'x', d, ['nope.zip', '.']), join(d, '.'));
  assert.throws(() => findFirst('loadX', 'the X archive', d, ['a.zip', 'a']), (e) => MetaLearnError.is(e, 'dataNotFound') && e.message.startsWith('loadX: the X archive not found') && e.message.includes(join(d, 'a.zip')) && e.message.includes(join(d, 'a')));
});
