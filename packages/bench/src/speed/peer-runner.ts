/**
 * The PyTorch peer (`torch_meta_bench.py`): finding it, checking that its Python can import
 * torch, and running one of its configurations (`--worker '{"problem", "algo", "steps", ...}'`,
 * one JSON line) right after ours, so that the two are timed back to back on the same machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetaLearnError } from '@metalearn/core';
import type { PeerAlgo, TimingPlan } from './configurations.js';
import { lastJsonLine } from './last-json-line.js';

/** The fix when the peer's Python has no torch (Debian's PyTorch). */
export const TORCH_INSTALL_HINT = 'apt-get update && apt-get install -y python3-torch';
/** The Python that has torch on this image (the pyenv `python3` on PATH has none). */
export const DEFAULT_PEER_PYTHON = '/usr/bin/python3';
/** Environment variable naming the peer script (the `--peer` flag wins). */
export const PEER_SCRIPT_ENV = 'METALEARN_PEER';
/** Environment variable naming the peer's Python (the `--python` flag wins). */
export const PEER_PYTHON_ENV = 'METALEARN_PEER_PYTHON';

/** The repository root: four levels above this file (`packages/bench/{src,dist}/speed/`). */
export function repositoryRoot(): string {
  return resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
}

/** `../shared/peers/torch_meta_bench.py` relative to the repository root. */
export function defaultPeerScript(root: string = repositoryRoot()): string {
  return join(root, '..', 'shared', 'peers', 'torch_meta_bench.py');
}

/** Where the peer may be looked for: flags, then environment, then the defaults. */
export interface PeerLocation {
  /** `--peer PATH`. */
  readonly script?: string;
  /** `--python PATH`. */
  readonly python?: string;
  /** The environment to read `METALEARN_PEER` / `METALEARN_PEER_PYTHON` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A peer that can run: its Python (with torch) and script. */
export interface AvailablePeer {
  readonly available: true;
  readonly python: string;
  readonly script: string;
  readonly torchVersion: string;
}

/** Why the peer cannot run, and the fix. */
export interface MissingPeer {
  readonly available: false;
  readonly reason: string;
  readonly hint: string;
}

/**
 * Finds the peer script and checks that its Python imports torch (`python -c 'import torch'`).
 * Script: `location.script`, else `$METALEARN_PEER`, else {@link defaultPeerScript} when it exists.
 * Python: `location.python`, else `$METALEARN_PEER_PYTHON`, else `/usr/bin/python3`.
 * @param location - flags and environment.
 * @returns the peer, or why it is missing with the fix ({@link TORCH_INSTALL_HINT} for torch).
 */
export function probePeer(location: PeerLocation = {}): AvailablePeer | MissingPeer {
  const env = location.env ?? process.env;
  const fallback = defaultPeerScript();
  const script = location.script ?? (env[PEER_SCRIPT_ENV] || undefined) ?? fallback;
  if (!existsSync(script)) {
    const given = location.script !== undefined ? `--peer ${script}` : env[PEER_SCRIPT_ENV] ? `${PEER_SCRIPT_ENV}=${script}` : `the default ${script}`;
    return { available: false, reason: `the peer script ${given} does not exist`, hint: `pass --peer PATH/torch_meta_bench.py or set ${PEER_SCRIPT_ENV}` };
  }
  const python = location.python ?? (env[PEER_PYTHON_ENV] || undefined) ?? DEFAULT_PEER_PYTHON;
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : (r.stderr ?? '').trim().split('\n').pop() ?? `exit code ${r.status}`;
    return { available: false, reason: `${python} cannot import torch (${why})`, hint: `${TORCH_INSTALL_HINT} (or point --python / ${PEER_PYTHON_ENV} at a Python with torch)` };
  }
  return { available: true, python, script, torchVersion: r.stdout.trim() };
}

/** What the peer measured for one configuration (its worker's JSON line, in our units). */
export interface PeerTiming {
  readonly algo: PeerAlgo;
  readonly steps: number;
  readonly metaBatch: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly tasksPerSecond: number;
  /** `peak_rss_mb` (ru_maxrss, MiB) in bytes. */
  readonly peakRssBytes: number;
  readonly timedSteps: number;
  readonly threads: number | null;
  readonly metaParams: number | null;
  /** Fraction of all cores other processes used during its timed steps. */
  readonly otherProcessesBusy: number | null;
}

/** A finite number field of the peer's record, or a `corruptData` error naming it. */
function num(rec: Record<string, unknown>, key: string): number {
  const v = rec[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MetaLearnError('corruptData', `bench speed: the peer's record has no finite ${key}: ${JSON.stringify(rec).slice(0, 300)}`);
  return v;
}

/** A number field of the peer's record, or null. */
function numOrNull(rec: Record<string, unknown>, key: string): number | null {
  const v = rec[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Runs one configuration of the peer: `python script --worker '{"problem", "algo", "steps",
 * "min_timed", "max_timed", "min_time"}'` (the same timed-steps rule as ours; the peer's warm-up
 * is its fixed 3 steps) and parses its last JSON line.
 * @param peer - an available peer ({@link probePeer}).
 * @param problem - `'sinusoid'` or `'omniglot'`.
 * @param algo - the peer's algorithm.
 * @param steps - inner steps.
 * @param plan - the timed-steps rule.
 * @param timeoutMs - kill the peer after this long (default 30 minutes).
 * @returns its timing.
 * @throws MetaLearnError `notConverged` when the peer fails (with its stderr's end),
 *   `corruptData` when its record lacks a field.
 */
export function runPeerConfiguration(peer: AvailablePeer, problem: string, algo: PeerAlgo, steps: number, plan: TimingPlan, timeoutMs = 30 * 60_000): PeerTiming {
  const cfg = { problem, algo, steps, min_timed: plan.minTimed, max_timed: plan.maxTimed, min_time: plan.minSeconds };
  const r = spawnSync(peer.python, [peer.script, '--worker', JSON.stringify(cfg)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : `exit code ${r.status}${r.signal ? `, signal ${r.signal}` : ''}`;
    throw new MetaLearnError('notConverged', `bench speed: the peer ${peer.script} failed on ${JSON.stringify(cfg)} (${why}): ${(r.stderr ?? '').trim().slice(-600)}`);
  }
  const rec = lastJsonLine(r.stdout, 'the PyTorch peer');
  return {
    algo,
    steps,
    metaBatch: num(rec, 'meta_batch'),
    medianMs: num(rec, 'median_ms'),
    minMs: num(rec, 'min_ms'),
    maxMs: num(rec, 'max_ms'),
    tasksPerSecond: num(rec, 'tasks_per_s'),
    peakRssBytes: num(rec, 'peak_rss_mb') * 1024 * 1024,
    timedSteps: num(rec, 'timed_steps'),
    threads: numOrNull(rec, 'threads'),
    metaParams: numOrNull(rec, 'n_meta_params'),
    otherProcessesBusy: numOrNull(rec, 'other_procs_busy_frac'),
  };
}
