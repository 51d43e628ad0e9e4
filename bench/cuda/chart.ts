/**
 * The CUDA benchmark as a picture: decode and prefill-512 tok/s of each bench model, first generation (O1) and the
 * default build (O2) against llama.cpp's H100 record and the goal of issue #6, as multiples of llama.cpp.
 *   node -r @swc-node/register bench/cuda/chart.ts OUT.svg RESULTS.jsonl...
 * Later files win for the same model and variant (a line {"model": "<name>-<o1|o2>", ...} of nxcuda.py bench).
 */
import * as fs from 'node:fs';

/** Issue #6's bar: llama.cpp (CUDA, Q4_0, flash attention) on an H100, and our goals. */
export const LLAMA_CPP_H100 = {
  'qwen2.5-0.5b': { label: 'Qwen2.5-0.5B', decode: 424, prefill: 43121, goalDecode: 900, goalPrefill: 43000 },
  'llama-3.2-1b': { label: 'Llama-3.2-1B', decode: 572, prefill: 38339, goalDecode: 900, goalPrefill: 38000 },
  'llama-3-8b': { label: 'Llama-3-8B', decode: 221, prefill: 10335, goalDecode: 330, goalPrefill: 10300 },
} as const;
type ModelKey = keyof typeof LLAMA_CPP_H100;

export interface Measured {
  decode: number;
  prefill: number;
}

/** model -> variant (o1, o2) -> the last measurement in the files. */
export function readResults(lines: string[]): Map<ModelKey, Map<string, Measured>> {
  const out = new Map<ModelKey, Map<string, Measured>>();
  for (const line of lines) {
    if (!line.startsWith('{"model"')) continue;
    const r = JSON.parse(line) as { model: string; decode_128_tok_s: number; prefill_512_tok_s: number };
    const m = /^(.*)-(o\d)$/.exec(r.model);
    if (!m || !(m[1] in LLAMA_CPP_H100)) continue;
    const key = m[1] as ModelKey;
    if (!out.has(key)) out.set(key, new Map());
    out.get(key)!.set(m[2], { decode: r.decode_128_tok_s, prefill: r.prefill_512_tok_s });
  }
  return out;
}

const fmt = (v: number) => (v >= 10000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function renderChart(results: Map<ModelKey, Map<string, Measured>>): string {
  const W = 900, H = 360, top = 50, bottom = 300, left = 60;
  const panels = [
    { title: 'decode @128 tok/s (vs llama.cpp)', metric: 'decode' as const, goal: 'goalDecode' as const },
    { title: 'prefill 512 tok/s (vs llama.cpp)', metric: 'prefill' as const, goal: 'goalPrefill' as const },
  ];
  const models = Object.keys(LLAMA_CPP_H100) as ModelKey[];
  const series = [
    { name: 'nx-mlc O1 (first generation)', color: '#b0b7c3', get: (k: ModelKey, p: 'decode' | 'prefill') => results.get(k)?.get('o1')?.[p] },
    { name: 'nx-mlc O2 (default)', color: '#2f6fdf', get: (k: ModelKey, p: 'decode' | 'prefill') => results.get(k)?.get('o2')?.[p] },
    { name: 'llama.cpp (issue record)', color: '#e08a2e', get: (k: ModelKey, p: 'decode' | 'prefill') => LLAMA_CPP_H100[k][p] },
  ];
  let maxRatio = 1;
  for (const k of models)
    for (const p of panels)
      for (const s of series) maxRatio = Math.max(maxRatio, (s.get(k, p.metric) ?? 0) / LLAMA_CPP_H100[k][p.metric]);
  maxRatio = Math.ceil(maxRatio * 2) / 2;
  const y = (ratio: number) => bottom - (ratio / maxRatio) * (bottom - top);
  const el: string[] = [];
  const panelW = (W - left - 20) / panels.length;
  panels.forEach((p, pi) => {
    const x0 = left + pi * panelW;
    el.push(`<text x="${x0 + panelW / 2}" y="${top - 22}" text-anchor="middle" font-size="14" font-weight="bold">${p.title}</text>`);
    for (let r = 0; r <= maxRatio + 1e-9; r += 0.5) {
      el.push(`<line x1="${x0}" x2="${x0 + panelW - 20}" y1="${y(r)}" y2="${y(r)}" stroke="${r === 1 ? '#e08a2e' : '#e4e7ec'}" stroke-dasharray="${r === 1 ? '4 3' : ''}"/>`);
      if (pi === 0) el.push(`<text x="${left - 8}" y="${y(r) + 4}" text-anchor="end" font-size="11">${r.toFixed(1)}x</text>`);
    }
    const groupW = (panelW - 20) / models.length;
    models.forEach((k, mi) => {
      const gx = x0 + mi * groupW;
      const base = LLAMA_CPP_H100[k][p.metric];
      const barW = (groupW - 24) / series.length;
      series.forEach((s, si) => {
        const v = s.get(k, p.metric);
        if (v === undefined) return;
        const bx = gx + 12 + si * barW;
        el.push(`<rect x="${bx}" y="${y(v / base)}" width="${barW - 3}" height="${bottom - y(v / base)}" fill="${s.color}"/>`);
        el.push(`<text x="${bx + (barW - 3) / 2}" y="${y(v / base) - 4}" text-anchor="middle" font-size="10">${fmt(v)}</text>`);
      });
      const g = LLAMA_CPP_H100[k][p.goal] / base;
      el.push(`<line x1="${gx + 8}" x2="${gx + groupW - 8}" y1="${y(g)}" y2="${y(g)}" stroke="#1a7f37" stroke-width="2"/>`);
      el.push(`<text x="${gx + groupW / 2}" y="${bottom + 18}" text-anchor="middle" font-size="12">${LLAMA_CPP_H100[k].label}</text>`);
    });
  });
  const legend = [...series.map((s) => [s.name, s.color]), ['goal (issue #6)', '#1a7f37']];
  legend.forEach(([name, color], i) => {
    const lx = left + i * 205;
    el.push(`<rect x="${lx}" y="${H - 26}" width="12" height="12" fill="${color}"/><text x="${lx + 17}" y="${H - 16}" font-size="12">${name}</text>`);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...el,
    '</svg>',
    '',
  ].join('\n');
}

if (require.main === module) {
  const [out, ...files] = process.argv.slice(2);
  if (!out || files.length === 0) {
    console.error('usage: chart.ts OUT.svg RESULTS.jsonl...');
    process.exit(2);
  }
  const lines = files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
  fs.writeFileSync(out, renderChart(readResults(lines)));
  console.log(`wrote ${out}`);
}
