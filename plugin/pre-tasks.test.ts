import { hardwareTargetFromArgv, HW_TARGET_ENV, preTasksExecution } from './pre-tasks';

const argv = (...args: string[]) => ['/usr/bin/node', '/ws/node_modules/.bin/nx', ...args];

describe('recovering --target from `nx run` (Nx consumes it as the target name)', () => {
  it.each([
    [argv('run', 'llama3:compile', '--target=metal'), 'metal'],
    [argv('run', 'llama3:compile', '--target', 'cuda'), 'cuda'],
    [argv('run', 'llama3:validate', '-t', 'cpu-native'), 'cpu-native'],
    [argv('run', 'llama3:compile', '--verbose', '--target=webgpu'), 'webgpu'],
  ])('%j → %s', (args, hw) => {
    expect(hardwareTargetFromArgv(args)).toBe(hw);
  });

  it.each([
    ['no --target', argv('run', 'llama3:compile')],
    ['Nx project:target syntax', argv('run', 'llama3', '--target=llama3:compile')],
    ['not the run command', argv('run-many', '-t', 'compile')],
    ['after --', argv('run', 'llama3:compile', '--', '--target=metal')],
    ['positional project only', argv('run', 'llama3', '--target', 'compile')],
  ])('ignores %s', (_why, args) => {
    expect(hardwareTargetFromArgv(args)).toBeUndefined();
  });

  it('hands the value to tasks through the environment', () => {
    const before = process.env[HW_TARGET_ENV];
    try {
      delete process.env[HW_TARGET_ENV];
      preTasksExecution({}, { argv: argv('run', 'm:compile', '--target=metal') });
      expect(process.env[HW_TARGET_ENV]).toBe('metal');
    } finally {
      if (before === undefined) delete process.env[HW_TARGET_ENV];
      else process.env[HW_TARGET_ENV] = before;
    }
  });
});
