/** The chat page's HTML: static markup; all behaviour is in core/webgpu/browser/app.ts (served as app.js). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nx-mlc · WebGPU chat</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 18px; display: flex; gap: 18px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 17px; margin: 0; }
  header span { opacity: .8; font-size: 13px; }
  main { max-width: 900px; margin: 0 auto; padding: 14px 18px; }
  #status-bar { display: flex; gap: 12px; align-items: center; font-size: 13px; color: #4a5368; }
  progress { width: 180px; }
  #output .turn { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; margin: 10px 0; padding: 8px 12px; }
  pre { white-space: pre-wrap; margin: 4px 0; font: 13.5px/1.4 ui-monospace, monospace; }
  pre.user { color: #5b6478; }
  pre.bot { color: #0d5e2f; }
  textarea { width: 100%; box-sizing: border-box; height: 90px; font: 13.5px ui-monospace, monospace; }
  .controls { display: flex; gap: 12px; align-items: center; margin: 8px 0; font-size: 13px; flex-wrap: wrap; }
  #stats { font-size: 13px; color: #1d2330; font-weight: 600; }
</style>
</head>
<body>
<header><h1>nx-mlc · WebGPU</h1><span id="model-name">loading…</span><span id="adapter"></span></header>
<main>
  <div id="status-bar"><progress id="progress" max="1" value="0"></progress><span id="status">starting…</span></div>
  <div id="output"></div>
  <textarea id="prompt" spellcheck="false"></textarea>
  <div class="controls">
    <button id="send" disabled>Generate</button>
    <button id="stop">Stop</button>
    <button id="reset">Clear</button>
    <label>max tokens <input id="max-tokens" type="number" value="64" min="1" max="4096" style="width:5em"></label>
    <label><input id="greedy" type="checkbox" checked> greedy</label>
    <span id="stats"></span>
  </div>
</main>
<script type="module" src="app.js"></script>
</body>
</html>
`;
