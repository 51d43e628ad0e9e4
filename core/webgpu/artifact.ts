/**
 * The webgpu target's library: one self-contained ES module, `<name>.mjs`, whose default export is
 * a JSON literal holding the shaders and the plan (`WebgpuLibrary`). Why an ES module of data and not
 * `.wasm` + glue: WebGPU is driven from JavaScript anyway, the host is TypeScript (core/webgpu), and the
 * only compiled artifacts are WGSL strings, so a module a page can `import()` and Node can read as JSON
 * keeps one file, no toolchain, and no code in the artifact. Versioned by `format` + `abi_version`.
 *
 * Browser-safe: no Node imports here.
 */
import type { DType, Expr } from '../compiler/ir/ir';

export const WEBGPU_LIBRARY_FORMAT = 'nx-mlc-webgpu';
export const WEBGPU_ABI_VERSION = 1;

export type WgslBufRef =
  | { k: 'param'; name: string }
  | { k: 'scratch'; name: string; offset?: Expr }
  | { k: 'kv'; layer: number; which: 'k' | 'v' }
  | { k: 'tokens' }
  | { k: 'logits' }
  | { k: 'table'; name: string };

export interface WgslKernelEntry {
  /** WGSL per storage mode: `packed` reads 16-bit buffers as u32 halves (any adapter); `native` needs shader-f16. */
  code: { packed: string; native?: string };
  /** Entry points run in order; `dims` are the collapsed loop extents (IR expressions over the uniforms). */
  parts: { entry: string; dims: { lo: Expr; hi: Expr }[] }[];
  /** Bindings 0..n-1; the uniform buffer is binding n. `slot`: which of the step's buffer refs each binding takes. */
  bindings: { name: string; t: DType; access: 'in' | 'out' | 'inout'; slot: number }[];
  /** Uniform i32 fields in order: scalars first (by name), then `o_<buffer>` element offsets, one per IR buffer. */
  uniforms: string[];
  /** Number of IR scalars (the first uniforms). */
  scalars: number;
  /** IR buffer names in order (what `o_<name>` offsets refer to: the step's bufs[i]). */
  buffers: string[];
}

export interface WgslStep {
  kernel: string;
  /** Decode variant, used when the first scalar evaluates to 1 (it has no scalars). */
  single?: string;
  bufs: WgslBufRef[];
  scalars: Expr[];
}

export interface WebgpuLibrary {
  format: typeof WEBGPU_LIBRARY_FORMAT;
  abi_version: number;
  metadata: Record<string, unknown> & { vocab_size: number; context_window_size: number; prefill_chunk_size: number };
  workgroupSize: number;
  kernels: Record<string, WgslKernelEntry>;
  params: { name: string; dtype: DType; shape: number[] }[];
  scratch: { name: string; width: number }[];
  tables: { name: string; values: number[] }[];
  kv: { layers: number; kvHeads: number; headDim: number };
  steps: WgslStep[];
}

/** Module text of a library: `export default <json>;` (parseWebgpuLibrary reads it back without evaluating code). */
export function webgpuLibraryModule(lib: WebgpuLibrary): string {
  return `// nx-mlc webgpu library (${WEBGPU_LIBRARY_FORMAT} v${lib.abi_version}): shaders and plan as data. Generated; do not edit.\nexport default ${JSON.stringify(lib)};\n`;
}

export class WebgpuLibraryError extends Error {}

/** Parse the text of a `.mjs` library (or its bare JSON) and check its format and ABI version. */
export function parseWebgpuLibrary(text: string, where = 'the webgpu library'): WebgpuLibrary {
  const start = text.indexOf('export default ');
  const json = start >= 0 ? text.slice(start + 'export default '.length).trim().replace(/;\s*$/, '') : text;
  let lib: WebgpuLibrary;
  try {
    lib = JSON.parse(json);
  } catch (e) {
    throw new WebgpuLibraryError(`${where} is not an nx-mlc webgpu library (${(e as Error).message}); recompile it with \`nx-mlc compile --device webgpu\``);
  }
  return checkWebgpuLibrary(lib, where);
}

export function checkWebgpuLibrary(lib: WebgpuLibrary, where = 'the webgpu library'): WebgpuLibrary {
  if (!lib || lib.format !== WEBGPU_LIBRARY_FORMAT) {
    throw new WebgpuLibraryError(`${where} is not an nx-mlc webgpu library (format ${JSON.stringify(lib?.format)}); recompile it with \`nx-mlc compile --device webgpu\``);
  }
  if (lib.abi_version !== WEBGPU_ABI_VERSION) {
    throw new WebgpuLibraryError(`${where} has abi_version ${lib.abi_version}, this host supports ${WEBGPU_ABI_VERSION}; recompile it with this nx-mlc`);
  }
  return lib;
}
