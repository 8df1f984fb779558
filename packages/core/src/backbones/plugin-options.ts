/**
 * Validation of plugin options (plain JSON from code, a config file or CLI flags) with zod:
 * unknown keys are rejected, never silently ignored.
 */
import { z } from 'zod';
import { MetaLearnError } from '../errors.js';

/**
 * Parses `options` with `schema`.
 * @param schema - a strict zod object schema.
 * @param options - the plugin options (`undefined` means none).
 * @param caller - e.g. `'conv4 plugin'`, for the message.
 * @returns the parsed options.
 * @throws MetaLearnError `invalidArgument` naming each offending option.
 */
export function parsePluginOptions<S extends z.ZodType>(schema: S, options: unknown, caller: string): z.infer<S> {
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `options${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`);
    throw new MetaLearnError('invalidArgument', `${caller}: ${issues.join('; ')}`);
  }
  return r.data;
}
