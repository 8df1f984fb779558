/**
 * The inversify `ContainerModule` of @metalearn/reptile: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/reptile provides. Load it with `createPluginContainer(...)`. */
export const reptileModule = pluginModule([]);
