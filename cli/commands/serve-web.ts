import { Command } from 'commander';
import { serveWeb } from '../../core/serve-web/server';
import { parseOverrides } from '../../core/compiler/config';
import { info, out, parseIntOption, runCommand } from '../output';

/** `nx-mlc serve-web <OUT>`: the WebGPU chat page for a converted model (core/serve-web). */
export function registerServeWeb(program: Command): void {
  program
    .command('serve-web')
    .description('Serve a web page that chats with the model on WebGPU in the browser (streams tokens, shows tok/s)')
    .argument('<model>', 'directory with mlc-chat-config.json, tokenizer.json, tensor-cache.json and the shards')
    .option('--lib <file>', 'webgpu library (.mjs) from `compile --device webgpu`; default: one found in <model> or <model>/libs, else compiled in memory')
    .option('--port <n>', 'port (0 = any free one)', parseIntOption('port'), 8080)
    .option('--host <addr>', 'address to bind (WebGPU needs localhost or HTTPS)', '127.0.0.1')
    .option('--prompt <text>', 'text the prompt box starts with')
    .option('--overrides <list>', 'for an in-memory compile, e.g. "context_window_size=1024"')
    .action((model: string, o) =>
      runCommand(async () => {
        const h = await serveWeb({ modelDir: model, library: o.lib, port: o.port, host: o.host, defaultPrompt: o.prompt, overrides: parseOverrides(o.overrides) });
        info(`serve-web: library ${h.librarySource}`);
        out(`serve-web: open ${h.url} in a browser with WebGPU (Chrome/Edge 113+, Safari 18+, Firefox 141+); Ctrl-C stops`);
        await new Promise<void>((resolve) => {
          const stop = () => void h.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
