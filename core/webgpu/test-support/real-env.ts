/**
 * TEST-ONLY. Jest gives each test file a copy of process.env, so assigning VK_ICD_FILENAMES there never
 * reaches the C environment that Dawn's Vulkan loader reads. Set it with libc's setenv (through koffi,
 * already a dependency) before the first Dawn adapter is requested, and take it back afterwards (the
 * returned function) so later test files in the same worker see the machine's own Vulkan setup.
 */
import * as fs from 'node:fs';
import koffi from 'koffi';
import { SWIFTSHADER_ICD } from '../node';

export function useSwiftShaderIfNoDriverChosen(): () => void {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES || !fs.existsSync(SWIFTSHADER_ICD)) return () => {};
  const libc = koffi.load('libc.so.6');
  libc.func('int setenv(const char *name, const char *value, int overwrite)')('VK_ICD_FILENAMES', SWIFTSHADER_ICD, 0);
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return () => {
    libc.func('int unsetenv(const char *name)')('VK_ICD_FILENAMES');
    delete process.env.VK_ICD_FILENAMES;
  };
}
