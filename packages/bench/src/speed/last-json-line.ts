/**
 * The result line of a worker process: the last line of its standard output that parses as a
 * JSON object (a worker may print other lines before it).
 */
import { MetaLearnError } from '@metalearn/core';

/**
 * The last JSON object line of `stdout`.
 * @param stdout - the process's standard output.
 * @param who - the process, for the message (e.g. `'the PyTorch peer'`).
 * @returns the parsed object.
 * @throws MetaLearnError `corruptData` when no line is a JSON object.
 * @example lastJsonLine('warming up\n{"median_ms": 14.8}\n', 'peer') // { median_ms: 14.8 }
 */
export function lastJsonLine(stdout: string, who: string): Record<string, unknown> {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v: unknown = JSON.parse(lines[i]!);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: try the line before
    }
  }
  throw new MetaLearnError('corruptData', `lastJsonLine: ${who} printed no JSON object line; its output ends with '${stdout.slice(-300)}'`);
}
