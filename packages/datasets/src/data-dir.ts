/**
 * Where the data and the decoded-array cache live. The project never copies data into its
 * repository: every loader reads a configurable data directory (the `--data-dir` flag, else the
 * `METALEARN_DATA_DIR` environment variable) and writes decoded arrays to a separate cache
 * directory, because the data directory may be read-only.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MetaLearnError } from '@metalearn/core';

/** Environment variable naming the data directory (used when no `--data-dir` flag is given). */
export const DATA_DIR_ENV = 'METALEARN_DATA_DIR';
/** Environment variable naming the cache directory for decoded arrays. */
export const CACHE_DIR_ENV = 'METALEARN_CACHE_DIR';

/** An environment to read variables from (defaults to `process.env`; tests pass their own). */
export type Env = Readonly<Record<string, string | undefined>>;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The data directory: the `--data-dir` flag value when given, else `$METALEARN_DATA_DIR`.
 * The directory holds one folder per dataset (`omniglot/`, `mini-imagenet/`) in the layout of
 * the official downloads.
 *
 * @param flag - the `--data-dir` value (empty string and `undefined` mean "not given").
 * @param env - where to read `METALEARN_DATA_DIR`; default `process.env`.
 * @returns the absolute path of an existing directory.
 * @throws MetaLearnError `dataNotFound` when neither is set, or the one given is not a directory.
 * @example const dataDir = resolveDataDir(opts.dataDir); // '/data/metalearn'
 */
export function resolveDataDir(flag?: string, env: Env = process.env): string {
  if (flag !== undefined && flag !== '') {
    const dir = resolve(flag);
    if (!isDirectory(dir)) {
      throw new MetaLearnError('dataNotFound', `resolveDataDir: flag (--data-dir) must name an existing directory, got '${flag}' (resolved to ${dir})`);
    }
    return dir;
  }
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const dir = resolve(fromEnv);
    if (!isDirectory(dir)) {
      throw new MetaLearnError('dataNotFound', `resolveDataDir: ${DATA_DIR_ENV} must name an existing directory, got '${fromEnv}' (resolved to ${dir})`);
    }
    return dir;
  }
  throw new MetaLearnError(
    'dataNotFound',
    `resolveDataDir: no data directory given; pass --data-dir <dir> or set ${DATA_DIR_ENV}=<dir> ` +
      `(a folder holding omniglot/ and mini-imagenet/ as downloaded from their official sources)`,
  );
}

/**
 * The cache directory for decoded arrays: the `cacheDir` argument when given, else
 * `$METALEARN_CACHE_DIR`, else `$XDG_CACHE_HOME/metalearn`, else `~/.cache/metalearn`.
 * The directory need not exist yet (the cache creates it when it first writes).
 *
 * @param cacheDir - an explicit directory (e.g. a `--cache-dir` flag); empty means "not given".
 * @param env - where to read the variables; default `process.env`.
 * @returns an absolute path.
 */
export function resolveCacheDir(cacheDir?: string, env: Env = process.env): string {
  if (cacheDir !== undefined && cacheDir !== '') return resolve(cacheDir);
  const fromEnv = env[CACHE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '') return join(resolve(xdg), 'metalearn');
  return join(homedir(), '.cache', 'metalearn');
}

/**
 * The first of `candidates` (relative to `root`) that exists as a file or directory.
 * @param fn - the calling function's name, for the error message.
 * @param what - what is looked for, for the error message (e.g. `'the Omniglot background set'`).
 * @returns the absolute path found.
 * @throws MetaLearnError `dataNotFound` listing every path tried.
 */
export function findFirst(fn: string, what: string, root: string, candidates: readonly string[]): string {
  for (const c of candidates) {
    const p = join(root, c);
    try {
      statSync(p);
      return p;
    } catch {
      // not there: try the next candidate
    }
  }
  throw new MetaLearnError('dataNotFound', `${fn}: ${what} not found; tried ${candidates.map((c) => join(root, c)).join(', ')}`);
}
