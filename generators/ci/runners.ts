/**
 * Where each hardware target's CI job runs, as data: adding a target is adding a row. The job name is the
 * Nx configuration of the model's `compile`/`validate` dispatch targets (`nx affected -t compile validate -c <name>`).
 */
export interface RunnerSpec {
  /** GitHub-hosted label, or 'gpu' for the self-hosted GPU runner labels given to the generator. */
  runsOn: 'ubuntu-latest' | 'macos-latest' | 'gpu';
  /** Extra system packages the target's toolchain or runtime needs on that runner. */
  setup?: string;
  /** What the job can do there, for the job name. */
  note: string;
}

export const RUNNERS: Record<string, RunnerSpec> = {
  cpu: { runsOn: 'ubuntu-latest', note: 'build + run' },
  'cpu-native': { runsOn: 'ubuntu-latest', note: 'build + run' },
  vulkan: { runsOn: 'ubuntu-latest', setup: 'sudo apt-get update && sudo apt-get install -y --no-install-recommends mesa-vulkan-drivers glslang-tools', note: 'build + run on lavapipe' },
  webgpu: { runsOn: 'ubuntu-latest', setup: 'sudo apt-get update && sudo apt-get install -y --no-install-recommends mesa-vulkan-drivers', note: 'build + run on Dawn' },
  android: { runsOn: 'ubuntu-latest', setup: 'sudo apt-get update && sudo apt-get install -y --no-install-recommends pocl-opencl-icd', note: 'build + run on PoCL' },
  rocm: { runsOn: 'ubuntu-latest', note: 'build only' },
  cuda: { runsOn: 'gpu', note: 'build + run' },
  metal: { runsOn: 'macos-latest', note: 'build + run' },
  iphone: { runsOn: 'macos-latest', note: 'build' },
  ios: { runsOn: 'macos-latest', note: 'build' },
};

/** The hardware target names the generator knows (the rest are refused with the list). */
export const KNOWN_TARGETS = Object.keys(RUNNERS);
