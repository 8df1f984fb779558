/**
 * A disk cache of decoded arrays (decoding 32k Omniglot PNGs or 30k JPEGs takes seconds; reading
 * the decoded arrays back takes milliseconds).
 *
 * File format (`<namespace>-<hash>.bin`, little-endian):
 * ```
 * bytes 0..7     magic 'MLCACHE\n'
 * bytes 8..11    uint32 n = byte length of the header
 * bytes 12..12+n header, UTF-8 JSON: { formatVersion, key, meta, arrays: [{ name, dtype, length,
 *                offset }], payloadBytes, payloadSha256 }
 * then           zero padding to a multiple of 8, then the payload (each array 8-byte aligned)
 * ```
 * The file name hashes the key; the header repeats the whole key, and a read is trusted only when
 * the magic, the format version, the key (source file sizes and modification times, the
 * preprocessing options, the builder's version) and the SHA-256 of the payload all match.
 * Anything else (truncated, corrupt, stale, foreign) is rebuilt and overwritten, never trusted.
 * Writes are atomic: a temporary file in the same directory, then `rename`.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { CACHE_DIR_ENV } from './data-dir.js';
import { makeDirectory } from './make-directory.js';

/** Version of the file format above; bumping it invalidates every cache file. */
export const CACHE_FORMAT_VERSION = 1;

const MAGIC = Buffer.from('MLCACHE\n', 'latin1');

/** The typed arrays a cache file can hold. */
export type CachedArray = Uint8Array | Int32Array | Float32Array;
type Dtype = 'uint8' | 'int32' | 'float32';

/** What a builder produces and a cache read returns: JSON metadata plus named typed arrays. */
export interface CachePayload {
  /** Any JSON-serialisable value (e.g. class names and example counts). */
  readonly meta: unknown;
  readonly arrays: Readonly<Record<string, CachedArray>>;
}

/** How a {@link cached} call was served. */
export type CacheStatus = 'hit' | 'miss' | 'corrupt' | 'disabled';

/** The result of {@link cached}: the payload and how it was obtained. */
export interface CacheResult {
  readonly payload: CachePayload;
  /**
   * `hit`: read from a valid file; `miss`: no file, built and written; `corrupt`: a file existed
   * but failed validation (see `reason`), rebuilt and overwritten; `disabled`: built, not cached.
   */
  readonly status: CacheStatus;
  /** Why a file was rejected (status `corrupt`). */
  readonly reason?: string;
  /** The cache file (absent when disabled). */
  readonly file?: string;
  /** Wall-clock milliseconds spent reading or building (and writing). */
  readonly elapsedMs: number;
}

/** Options of {@link cached}. */
export interface CacheOptions {
  /** Directory of the cache files, or `false` to build without caching. */
  readonly cacheDir: string | false;
  /** File-name prefix, e.g. `'omniglot-images_background'` (letters, digits, `-`, `_`, `.`). */
  readonly namespace: string;
  /**
   * Everything the content depends on, as JSON: source fingerprints (path, size, mtime),
   * preprocessing options, the builder's version. Object keys are sorted before hashing.
   */
  readonly key: unknown;
  /** Produces the payload on a miss. */
  readonly build: () => Promise<CachePayload> | CachePayload;
}

/** JSON with object keys sorted, so that equal keys serialise equally. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new MetaLearnError('invalidArgument', `stableStringify: value must be finite, got ${value}`);
    }
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

function dtypeOf(a: CachedArray): Dtype {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int32Array) return 'int32';
  return 'float32';
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Serialises a payload under a key (the file format in this module's header).
 * @returns the file bytes.
 */
export function encodeCacheFile(key: unknown, payload: CachePayload): Buffer {
  const arrays: Array<{ name: string; dtype: Dtype; length: number; offset: number }> = [];
  let offset = 0;
  for (const [name, a] of Object.entries(payload.arrays)) {
    arrays.push({ name, dtype: dtypeOf(a), length: a.length, offset });
    offset = align8(offset + a.byteLength);
  }
  const body = Buffer.alloc(offset);
  for (const spec of arrays) {
    const a = payload.arrays[spec.name]!;
    body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), spec.offset);
  }
  const header = Buffer.from(
    JSON.stringify({
      formatVersion: CACHE_FORMAT_VERSION,
      key: JSON.parse(stableStringify(key)),
      meta: payload.meta,
      arrays,
      payloadBytes: body.length,
      payloadSha256: createHash('sha256').update(body).digest('hex'),
    }),
    'utf8',
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const headEnd = align8(MAGIC.length + 4 + header.length);
  const pad = Buffer.alloc(headEnd - (MAGIC.length + 4 + header.length));
  return Buffer.concat([MAGIC, len, header, pad, body]);
}

/**
 * Parses and validates cache-file bytes against the expected key.
 * @returns the payload, or a string saying why the file cannot be trusted.
 */
export function decodeCacheFile(bytes: Uint8Array, key: unknown): CachePayload | string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return 'bad magic';
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLen > buf.length) return 'truncated header';
  let header: {
    formatVersion?: unknown;
    key?: unknown;
    meta?: unknown;
    arrays?: Array<{ name: string; dtype: Dtype; length: number; offset: number }>;
    payloadBytes?: unknown;
    payloadSha256?: unknown;
  };
  try {
    header = JSON.parse(buf.subarray(headerStart, headerStart + headerLen).toString('utf8'));
  } catch {
    return 'header is not JSON';
  }
  if (header.formatVersion !== CACHE_FORMAT_VERSION) return `format version ${String(header.formatVersion)} != ${CACHE_FORMAT_VERSION}`;
  if (stableStringify(header.key) !== stableStringify(key)) return 'key mismatch (source or options changed)';
  const bodyStart = align8(headerStart + headerLen);
  const body = buf.subarray(bodyStart);
  if (typeof header.payloadBytes !== 'number' || body.length !== header.payloadBytes) return `payload has ${body.length} bytes, header says ${String(header.payloadBytes)}`;
  if (createHash('sha256').update(body).digest('hex') !== header.payloadSha256) return 'payload checksum mismatch';
  if (!Array.isArray(header.arrays)) return 'header has no array table';
  const arrays: Record<string, CachedArray> = {};
  for (const spec of header.arrays) {
    const size = spec.dtype === 'uint8' ? 1 : 4;
    if (!Number.isInteger(spec.offset) || !Number.isInteger(spec.length) || spec.offset + spec.length * size > body.length) {
      return `array '${spec.name}' out of bounds`;
    }
    // A view into the file's bytes when aligned (the usual case: the payload is 8-byte aligned
    // in the file and large reads get their own ArrayBuffer); otherwise an aligned copy.
    let raw = body.subarray(spec.offset, spec.offset + spec.length * size);
    if (raw.byteOffset % size !== 0) raw = Buffer.from(new Uint8Array(raw).buffer);
    if (spec.dtype === 'uint8') arrays[spec.name] = new Uint8Array(raw.buffer, raw.byteOffset, spec.length);
    else if (spec.dtype === 'int32') arrays[spec.name] = new Int32Array(raw.buffer, raw.byteOffset, spec.length);
    else if (spec.dtype === 'float32') arrays[spec.name] = new Float32Array(raw.buffer, raw.byteOffset, spec.length);
    else return `array '${spec.name}' has unknown dtype '${String(spec.dtype)}'`;
  }
  return { meta: header.meta, arrays };
}

let tmpCounter = 0;

/**
 * Writes `bytes` to `file` atomically: a temporary file in the same directory, then `rename`,
 * so that a reader sees either the old file or the complete new one, never a partial write.
 * @throws MetaLearnError `invalidArgument` when the directory cannot be created or written.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}-${tmpCounter++}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new MetaLearnError('invalidArgument', `writeFileAtomic: cannot write ${file} (${(e as Error).message}); set ${CACHE_DIR_ENV} to a writable directory or disable the cache`, { cause: e });
  }
}

/**
 * Returns the payload for `key` from the cache, or builds, writes (atomically) and returns it.
 *
 * @param options - cache directory (`false` disables), file-name namespace, key, builder.
 * @returns the payload and whether it was a hit, a miss, a rebuilt corrupt file or uncached.
 * @throws MetaLearnError `invalidArgument` when the namespace is malformed or the cache
 *   directory cannot be written; whatever `build` throws.
 * @example
 * const { payload, status } = await cached({ cacheDir, namespace: 'omniglot-bg', key, build });
 */
export async function cached(options: CacheOptions): Promise<CacheResult> {
  const t0 = performance.now();
  if (!/^[A-Za-z0-9._-]+$/.test(options.namespace)) {
    throw new MetaLearnError('invalidArgument', `cached: options.namespace must match [A-Za-z0-9._-]+, got '${options.namespace}'`);
  }
  if (options.cacheDir === false) {
    const payload = await options.build();
    return { payload, status: 'disabled', elapsedMs: performance.now() - t0 };
  }
  const hash = createHash('sha256').update(stableStringify(options.key)).digest('hex').slice(0, 20);
  const file = join(options.cacheDir, `${options.namespace}-${hash}.bin`);
  let reason: string | undefined;
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(file);
  } catch {
    bytes = undefined; // absent (or unreadable): a miss
  }
  if (bytes !== undefined) {
    const decoded = decodeCacheFile(bytes, options.key);
    if (typeof decoded !== 'string') return { payload: decoded, status: 'hit', file, elapsedMs: performance.now() - t0 };
    reason = decoded;
  }
  const payload = await options.build();
  try {
    makeDirectory(options.cacheDir);
  } catch (e) {
    throw new MetaLearnError('invalidArgument', `cached: cannot create the cache directory ${options.cacheDir} (${(e as Error).message}); set ${CACHE_DIR_ENV} to a writable directory or disable the cache`, { cause: e });
  }
  await writeFileAtomic(file, encodeCacheFile(options.key, payload));
  const status: CacheStatus = reason === undefined ? 'miss' : 'corrupt';
  return reason === undefined
    ? { payload, status, file, elapsedMs: performance.now() - t0 }
    : { payload, status, reason, file, elapsedMs: performance.now() - t0 };
}
