// makeDirectory: creates missing parents one level at a time, leaves a folder as it is, and fails
// at once with the file system's error (Node's recursive mkdir loops forever under /proc; the
// whole-command check of that is packages/bench/test/out-under-proc.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '@metalearn/datasets';
import { tempDir } from './fixtures.js';

test('makeDirectory creates every missing parent and is a no-op on an existing folder', () => {
  const root = tempDir('mkdir');
  try {
    const deep = join(root, 'a', 'b', 'c');
    makeDirectory(deep);
    assert.ok(statSync(deep).isDirectory());
    writeFileSync(join(deep, 'keep.txt'), 'x');
    makeDirectory(deep);
    makeDirectory(join(root, 'a'));
    assert.ok(existsSync(join(deep, 'keep.txt')), 'an existing folder and its files are left alone');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('makeDirectory: a file at the path is EEXIST, a file on the path ENOTDIR naming it (as mkdir(2)); the file is untouched', () => {
  const root = tempDir('mkdir-file');
  try {
    const file = join(root, 'f.txt');
    writeFileSync(file, 'x');
    assert.throws(() => makeDirectory(file), (e) => (e as NodeJS.ErrnoException).code === 'EEXIST' && (e as Error).message.startsWith(`EEXIST: file already exists, mkdir '${file}'`));
    assert.throws(() => makeDirectory(join(file, 'sub', 'dir')), (e) => (e as NodeJS.ErrnoException).code === 'ENOTDIR' && (e as Error).message.includes(`mkdir '${join(file, 'sub')}' ('${file}' is a file)`));
    assert.ok(statSync(file).isFile());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('makeDirectory under /proc fails at once with ENOENT', { skip: !existsSync('/proc/self') && 'no procfs on this system' }, () => {
  assert.throws(() => makeDirectory('/proc/metalearn-no-such/dir'), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT' && /mkdir '\/proc\/metalearn-no-such'/.test((e as Error).message));
});

test("makeDirectory walks the path as given: 'link/../x' is created beside the link's target (as mkdir -p), and '' is ENOENT", () => {
  const root = tempDir('mkdir-link');
  try {
    mkdirSync(join(root, 'elsewhere', 'dir'), { recursive: true });
    symlinkSync(join(root, 'elsewhere', 'dir'), join(root, 'link'));
    makeDirectory(`${root}/link/../x/y`); // not join(): it would fold 'link/..' away
    assert.ok(statSync(join(root, 'elsewhere', 'x', 'y')).isDirectory(), "the kernel resolves the link before '..'");
    assert.ok(!existsSync(join(root, 'x')), 'not beside the link');
    assert.throws(() => makeDirectory(''), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
