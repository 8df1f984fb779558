/**
 * The Omniglot splits: the official background/evaluation division of the 50 alphabets
 * (Lake et al. 2015: 30 alphabets / 964 characters for learning, 20 / 659 for evaluation; plus
 * the two five-alphabet "small" background subsets), and the Vinyals et al. (2016) split of all
 * 1623 characters into train / val / test (1028 / 172 / 423 characters; trainval = 1200, the
 * number of meta-training characters MAML uses), each character with four rotations as classes.
 *
 * Vinyals split files (`splits/{train,val,test,trainval}.txt`, from the prototypical-networks
 * repository) hold one class per line: `Alphabet/characterNN/rotDDD`.
 */
import { MetaLearnError } from '@metalearn/core';
import { parseRotationToken, type RotationDegrees } from './rotate.js';

/** The Vinyals et al. (2016) splits (classes = character x rotation). */
export type VinyalsSplit = 'train' | 'val' | 'test' | 'trainval';
/** The official splits (classes = characters; rotations optional). */
export type OfficialSplit = 'background' | 'evaluation' | 'background-small1' | 'background-small2';
/** Any Omniglot split. */
export type OmniglotSplit = VinyalsSplit | OfficialSplit;

/** Every {@link VinyalsSplit}. */
export const VINYALS_SPLITS: readonly VinyalsSplit[] = ['train', 'val', 'test', 'trainval'];
/** Every {@link OfficialSplit}. */
export const OFFICIAL_SPLITS: readonly OfficialSplit[] = ['background', 'evaluation', 'background-small1', 'background-small2'];
/** Every {@link OmniglotSplit}. */
export const OMNIGLOT_SPLITS: readonly OmniglotSplit[] = [...VINYALS_SPLITS, ...OFFICIAL_SPLITS];

/** The archive (zip stem or folder name) of each official split. */
export const OFFICIAL_ARCHIVES: Readonly<Record<OfficialSplit, string>> = {
  background: 'images_background',
  evaluation: 'images_evaluation',
  'background-small1': 'images_background_small1',
  'background-small2': 'images_background_small2',
};

/** The number of characters (before rotation) of each split in the official data. */
export const OMNIGLOT_SPLIT_CHARACTERS: Readonly<Record<OmniglotSplit, number>> = {
  train: 1028,
  val: 172,
  test: 423,
  trainval: 1200,
  background: 964,
  evaluation: 659,
  'background-small1': 136,
  'background-small2': 156,
};

/** One line of a Vinyals split file. */
export interface SplitLine {
  readonly alphabet: string;
  /** e.g. `'character01'`. */
  readonly character: string;
  readonly rotation: RotationDegrees;
  /** The line itself, `Alphabet/characterNN/rotDDD`: the class id. */
  readonly id: string;
}

/**
 * Parses a Vinyals split file.
 * @param text - the file contents (LF or CRLF; blank lines ignored).
 * @param fileName - for error messages.
 * @returns one entry per line, in file order.
 * @throws MetaLearnError `corruptData` naming the file and line when a line is not
 *   `Alphabet/characterNN/rotDDD` or repeats an earlier line.
 */
export function parseVinyalsSplit(text: string, fileName: string): SplitLine[] {
  const out: SplitLine[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^([^/]+)\/(character\d+)\/(rot\d{3})$/.exec(line);
    let rotation: RotationDegrees | undefined;
    try {
      rotation = m ? parseRotationToken(m[3]!) : undefined;
    } catch {
      rotation = undefined;
    }
    if (!m || rotation === undefined) {
      throw new MetaLearnError('corruptData', `parseVinyalsSplit: ${fileName} line ${i + 1} must be 'Alphabet/characterNN/rotDDD' (DDD in 000, 090, 180, 270), got '${line}'`);
    }
    if (seen.has(line)) throw new MetaLearnError('corruptData', `parseVinyalsSplit: ${fileName} line ${i + 1} repeats '${line}'`);
    seen.add(line);
    out.push({ alphabet: m[1]!, character: m[2]!, rotation, id: line });
  }
  return out;
}

/** Whether `split` is a Vinyals split. */
export function isVinyalsSplit(split: string): split is VinyalsSplit {
  return (VINYALS_SPLITS as readonly string[]).includes(split);
}

/** The alphabet of an Omniglot class id (`'Latin/character03/rot090'` → `'Latin'`). */
export function alphabetOf(classId: string): string {
  return classId.slice(0, classId.indexOf('/'));
}
