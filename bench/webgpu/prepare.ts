/**
 * Prepares the webgpu benchmark for this machine and for a GPU machine without Node:
 * tmp/webgpu-carry/ gets the demo model converted (q0f32, q4f16_1) with its webgpu libraries, a Qwen2.5-0.5B
 * q4f16_1 library (random weights are made at run time), bench.cjs (bench.ts bundled by esbuild), Dawn's
 * addon and an xz-compressed node binary (both xz-compressed), and the Vulkan loader: about 45 MB, within the device tool's carry.
 *   node -r @swc-node/register bench/webgpu/prepare.ts
 * Then on the GPU machine (run-on-device.sh): LD_LIBRARY_PATH=lib VK_ICD_FILENAMES=<nvidia_icd.json> ./node bench.cjs …
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { genConfig } from '../../core/gen-config/gen-config';
import { convertWeight } from '../../core/weights/convert';
import { compileWebgpu, lowerToWebgpu } from '../../core/compiler/compile-webgpu';

const ROOT = path.resolve(__dirname, '../..');
const CARRY = path.join(ROOT, 'tmp', 'webgpu-carry');
const DEMO = path.join(ROOT, 'examples', 'pycode-6m');

const QWEN_05B = {
  hidden_act: 'silu', hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_hidden_layers: 24,
  num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, vocab_size: 151936, tie_word_embeddings: true,
  context_window_size: 32768, prefill_chunk_size: 2048, tensor_parallel_shards: 1, head_dim: 64, dtype: 'float32', max_batch_size: 128,
};

async function main(): Promise<void> {
  fs.rmSync(CARRY, { recursive: true, force: true });
  fs.mkdirSync(CARRY, { recursive: true });
  for (const q of ['q0f32', 'q4f16_1']) {
    const dir = path.join(CARRY, `demo-${q}`);
    genConfig({ source: DEMO, quantization: q, convTemplate: 'LM', output: dir });
    await convertWeight({ source: DEMO, quantization: q, output: dir, threads: 2 });
    compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: path.join(dir, 'lib.mjs') });
  }
  fs.copyFileSync(path.join(DEMO, 'expected.safetensors'), path.join(CARRY, 'expected.safetensors'));

  const qdir = path.join(CARRY, 'qwen2.5-0.5b');
  fs.mkdirSync(qdir);
  fs.writeFileSync(
    path.join(qdir, 'mlc-chat-config.json'),
    JSON.stringify({ version: '0.1.0', model_type: 'qwen2', quantization: 'q4f16_1', model_config: QWEN_05B, vocab_size: 151936, context_window_size: 32768, sliding_window_size: -1, prefill_chunk_size: 2048 }),
  );
  fs.writeFileSync(path.join(qdir, 'lib.mjs'), lowerToWebgpu(qdir, { context_window_size: 4096, prefill_chunk_size: 512 }).module);

  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: [path.join(__dirname, 'bench.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: path.join(CARRY, 'bench.cjs'), logLevel: 'error' });
  const wg = path.join(CARRY, 'node_modules', 'webgpu');
  fs.mkdirSync(path.join(wg, 'dist', 'linux-x64'), { recursive: true });
  const src = path.dirname(require.resolve('webgpu/package.json'));
  fs.copyFileSync(path.join(src, 'package.json'), path.join(wg, 'package.json'));
  execFileSync('sh', ['-c', `xz -T2 -6 -c "${path.join(src, 'dist', 'linux-x64', 'dawn.node')}" > "${path.join(wg, 'dist', 'linux-x64', 'dawn.node.xz')}"`]);
  fs.mkdirSync(path.join(CARRY, 'lib'));
  fs.copyFileSync(fs.realpathSync('/lib/x86_64-linux-gnu/libvulkan.so.1'), path.join(CARRY, 'lib', 'libvulkan.so.1'));
  execFileSync('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > "${path.join(CARRY, 'node.xz')}"`]);
  const size = execFileSync('du', ['-sm', CARRY]).toString().split('\t')[0];
  console.log(`prepared ${CARRY} (${size} MB)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
