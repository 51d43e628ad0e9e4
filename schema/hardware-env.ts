/**
 * The environment variable that carries `nx run <model>:compile --target=<hw>` from the plugin's
 * preTasksExecution hook (which sees the command line Nx consumed) to the compile/validate dispatch executors.
 */
export const HW_TARGET_ENV = 'NXMLC_HW_TARGET';
