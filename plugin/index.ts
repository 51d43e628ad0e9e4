/**
 * The nx-mlc Nx plugin: infers model projects from `mlc-model.yaml` files and recovers `--target` for
 * `nx run <model>:compile --target=<hw>`. Kept light: no engine or compiler imports at load time.
 */
import { createNodes } from './create-nodes';
import { preTasksExecution } from './pre-tasks';

export const name = 'nx-mlc';
export { createNodes, preTasksExecution };
/** Nx 21–22 read createNodesV2. */
export const createNodesV2 = createNodes;
export type { NxMlcPluginOptions } from './create-nodes';
