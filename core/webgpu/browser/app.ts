/// <reference types="@webgpu/types" />
/**
 * The web page's script (bundled by core/serve-web/bundle.ts): loads the model the server exposes under
 * /model/ (mlc-chat-config.json, tokenizer, tensor-cache.json shards through the Cache API, the webgpu
 * library module), then chats with it, streaming tokens and showing tok/s. Base models (template "LM")
 * continue the prompt; chat models keep a conversation rendered with MLC's template.
 * `window.nxmlc` exposes the same operations to tests (core/serve-web/browser.test.ts).
 */
import { parseWebgpuLibrary } from '../artifact';
import { requestWebgpuDevice, WebgpuModel, type GpuInfo } from '../model';
import { HttpWeightSource } from '../tensor-cache';
import { WebTokenizer } from '../tokenizer';
import { generate, type WebGenerateResult } from '../generate';
import { promptTokens, type ChatMessage } from '../../runtime/prompt';
import type { Conversation } from '../../chat/conversation';

interface ChatConfig {
  model_type: string;
  quantization: string;
  vocab_size: number;
  active_vocab_size?: number;
  temperature: number;
  top_p: number;
  repetition_penalty: number;
  presence_penalty: number;
  frequency_penalty: number;
  tokenizer_info: { token_postproc_method: 'byte_level' | 'byte_fallback'; strip_space_in_decode: boolean };
  conv_template: Conversation | null;
  eos_token_id: number | number[] | null;
}

interface ServerConfig {
  name: string;
  modelUrl: string;
  libraryUrl: string;
  defaultPrompt: string;
}

export interface PageGenerateOptions {
  /** Text to continue (base models) or the user's message (chat models). */
  text?: string;
  /** Token ids to continue, bypassing the tokenizer and template (tests compare with reference ids). */
  ids?: number[];
  maxTokens?: number;
  greedy?: boolean;
}

/** The few DOM shapes the page uses (the project compiles without the DOM lib, which would retype Node globals). */
interface El {
  textContent: string | null;
  value: string;
  checked: boolean;
  disabled: boolean;
  className: string;
  append(...nodes: El[]): void;
  addEventListener(type: string, listener: () => void): void;
}
interface BrowserGlobals {
  document: { getElementById(id: string): El | null; createElement(tag: string): El };
  navigator: { gpu?: GPU };
  location: { href: string };
}
const web = globalThis as unknown as BrowserGlobals;

function $(id: string): El {
  const el = web.document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el;
}

function status(text: string, fraction?: number): void {
  $('status').textContent = text;
  if (fraction !== undefined) $('progress').value = String(fraction);
}

async function load(): Promise<{ model: WebgpuModel; tok: WebTokenizer; cfg: ChatConfig; gpu: GpuInfo; server: ServerConfig; loadSeconds: number }> {
  const t0 = performance.now();
  const gpu = web.navigator.gpu;
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const server = (await (await fetch('config.json')).json()) as ServerConfig;
  const cfg = (await (await fetch(`${server.modelUrl}mlc-chat-config.json`)).json()) as ChatConfig;
  $('model-name').textContent = `${server.name} · ${cfg.model_type} · ${cfg.quantization}`;
  status('requesting a WebGPU device…', 0);
  const { device, info } = await requestWebgpuDevice(gpu);
  $('adapter').textContent = `${info.description}${info.f16 ? ' · shader-f16' : ' · f32 (no shader-f16)'}`;
  device.lost.then((l) => status(`WebGPU device lost: ${l.message}`));
  // The library is an ES module of data; reading it as text (not import()) works the same from sources and from dist/.
  const lib = parseWebgpuLibrary(await (await fetch(server.libraryUrl)).text(), server.libraryUrl);
  const [tj, tc] = await Promise.all([
    fetch(`${server.modelUrl}tokenizer.json`).then((r) => r.json() as Promise<object>),
    fetch(`${server.modelUrl}tokenizer_config.json`).then((r) => (r.ok ? (r.json() as Promise<object>) : {})),
  ]);
  const tok = new WebTokenizer(tj, tc, cfg.tokenizer_info, lib.metadata.vocab_size);
  const model = await WebgpuModel.create(device, lib, new HttpWeightSource(new URL(server.modelUrl, web.location.href).href), {
    onProgress: (f, text) => status(text, f),
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  status(`ready (loaded in ${loadSeconds.toFixed(1)} s)`, 1);
  return { model, tok, cfg, gpu: info, server, loadSeconds };
}

function main(): void {
  const loaded = load();
  let busy = false;
  let cancel = false;
  const history: ChatMessage[] = [];

  const run = async (opts: PageGenerateOptions): Promise<WebGenerateResult & { prompt: number[] }> => {
    const { model, tok, cfg } = await loaded;
    if (busy) throw new Error('a generation is already running');
    busy = true;
    cancel = false;
    $('send').disabled = true;
    try {
      const conv = cfg.conv_template;
      const chatMode = !!conv && conv.name !== 'LM' && opts.ids === undefined;
      let prompt: number[];
      if (opts.ids) prompt = opts.ids;
      else if (chatMode) {
        history.push(['user', opts.text ?? '']);
        prompt = promptTokens(conv!, [...history, ['assistant', null]], (s) => tok.encode(s));
      } else prompt = tok.encode(opts.text ?? '');
      const out = $('output');
      const turn = web.document.createElement('div');
      turn.className = 'turn';
      const user = web.document.createElement('pre');
      user.className = 'user';
      user.textContent = opts.ids ? `[${opts.ids.length} token ids]` : (opts.text ?? '');
      const bot = web.document.createElement('pre');
      bot.className = 'bot';
      turn.append(user, bot);
      out.append(turn);
      const eos = cfg.eos_token_id === null ? [] : Array.isArray(cfg.eos_token_id) ? cfg.eos_token_id : [cfg.eos_token_id];
      const greedy = opts.greedy ?? $('greedy').checked;
      const res = await generate(
        model,
        tok,
        {
          prompt,
          maxTokens: opts.maxTokens ?? Number($('max-tokens').value),
          sampling: { temperature: greedy ? 0 : cfg.temperature, top_p: cfg.top_p, repetition_penalty: cfg.repetition_penalty, presence_penalty: cfg.presence_penalty, frequency_penalty: cfg.frequency_penalty },
          // Completion (base models, raw ids) stops at EOS only, as `nx-mlc validate` without --template does;
          // a chat turn also stops at the template's stop tokens and strings, as `nx-mlc chat` does.
          stopTokenIds: chatMode ? [...conv!.stop_token_ids, ...eos] : eos,
          stopStrings: chatMode ? conv!.stop_str : [],
          onText: (piece, s) => {
            bot.textContent += piece;
            $('stats').textContent = `${s.generatedTokens} tokens · decode ${s.decodeTokPerSec.toFixed(1)} tok/s`;
          },
          cancelled: () => cancel,
        },
        cfg.active_vocab_size ?? model.vocab,
      );
      if (chatMode) history.push(['assistant', res.text]);
      $('stats').textContent =
        `${res.generatedTokens} tokens (${res.finish}) · prefill ${res.promptTokens} tokens at ${res.prefillTokPerSec.toFixed(1)} tok/s · decode ${res.decodeTokPerSec.toFixed(1)} tok/s`;
      return { ...res, prompt };
    } finally {
      busy = false;
      $('send').disabled = false;
    }
  };

  loaded.then(
    ({ server }) => {
      const input = $('prompt');
      if (!input.value) input.value = server.defaultPrompt;
      $('send').disabled = false;
    },
    (e: Error) => status(`failed: ${e.message}`),
  );
  $('send').addEventListener('click', () => {
    run({ text: $('prompt').value }).catch((e: Error) => status(`failed: ${e.message}`));
  });
  $('stop').addEventListener('click', () => (cancel = true));
  $('reset').addEventListener('click', () => {
    history.length = 0;
    $('output').textContent = '';
  });

  (globalThis as unknown as { nxmlc: unknown }).nxmlc = {
    ready: loaded.then(({ gpu, loadSeconds, cfg }) => ({ adapter: gpu.description, f16: gpu.f16, loadSeconds, quantization: cfg.quantization })),
    generate: run,
  };
}

main();
