/**
 * Run folders: `config.json` (the resolved configuration), `checkpoint.json` (learner state,
 * written atomically every N meta-steps and at the end) and `metrics.jsonl` (one line per log).
 * A crash mid-run loses at most the steps since the last checkpoint; `--resume` continues from it
 * and, because meta-batch `t` is a pure function of the seed and `t`, replays the same episodes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetaLearnError, type LearnerState } from '@metalearn/core';
import { writeFileAtomic } from './atomic-file.js';
import type { RunConfig } from './run-config.js';
import type { Composition } from './compose.js';

/** Format version of `checkpoint.json`. */
export const CHECKPOINT_VERSION = 1;

/** The content of `checkpoint.json`. */
export interface RunCheckpoint {
  readonly version: number;
  readonly config: RunConfig;
  readonly composition: Composition;
  readonly state: LearnerState;
  /** Wall-clock seconds of meta-training so far, summed over resumed sessions. */
  readonly wallSeconds: number;
  readonly commit: string;
  /** The command line that trained the run (the latest session's, when resumed). */
  readonly command?: string;
  readonly savedAt: string;
}

/** Path of the checkpoint of a run folder. */
export function checkpointPath(runDir: string): string {
  return join(runDir, 'checkpoint.json');
}

/** Writes a checkpoint atomically (temp file + rename). */
export function saveCheckpoint(runDir: string, ckpt: RunCheckpoint): void {
  writeFileAtomic(checkpointPath(runDir), JSON.stringify(ckpt));
}

/**
 * Reads a run's checkpoint.
 * @throws MetaLearnError `checkpoint` when missing, unreadable, of another version or malformed.
 */
export function loadCheckpoint(runDir: string): RunCheckpoint {
  const path = checkpointPath(runDir);
  if (!existsSync(path)) throw new MetaLearnError('checkpoint', `loadCheckpoint: ${path} does not exist (train first, or check the run folder: --run of eval, --out of train --resume)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MetaLearnError('checkpoint', `loadCheckpoint: ${path} is not valid JSON`, { cause: e });
  }
  const c = value as Partial<RunCheckpoint>;
  if (c.version !== CHECKPOINT_VERSION || typeof c.config !== 'object' || typeof c.state !== 'object' || typeof c.composition !== 'object') {
    throw new MetaLearnError('checkpoint', `loadCheckpoint: ${path} is not a version ${CHECKPOINT_VERSION} metalearn checkpoint`);
  }
  return c as RunCheckpoint;
}
