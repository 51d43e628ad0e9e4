import { InspectReport } from './inspect';

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** Human-readable report for the terminal. */
export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`${r.dir}`);
  lines.push(`  architecture   ${r.modelType}: ${r.architecture}`);
  lines.push(`  parameters     ${formatCount(r.parameters)} (${r.parameters.toLocaleString('en-US')})`);
  lines.push(`  dtypes         ${Object.entries(r.dtypes).map(([d, n]) => `${d} ${formatCount(n)}`).join(', ')}`);
  lines.push(`  files          ${r.files.length} (${formatBytes(r.totalBytes)})`);
  for (const f of r.files) lines.push(`                 ${f.name}  ${formatBytes(f.bytes)}`);
  lines.push(`  KV cache       ${r.kv.layers} layers x ${r.kv.kvHeads} KV heads x ${r.kv.headDim} head dim, context ${r.contextWindow}`);
  lines.push('');
  lines.push('  runtime memory estimate (weights + KV cache at the full context window)');
  const w = Math.max('quantization'.length, ...r.estimates.map((e) => e.quantization.length));
  lines.push(`    ${'quantization'.padEnd(w + 2)}${'weights'.padStart(10)}${'KV cache'.padStart(11)}${'total'.padStart(11)}`);
  for (const e of r.estimates) {
    lines.push(`    ${e.quantization.padEnd(w + 2)}${formatBytes(e.weightBytes).padStart(10)}${formatBytes(e.kvCacheBytes).padStart(11)}${formatBytes(e.totalBytes).padStart(11)}`);
  }
  if (r.warnings.length) {
    lines.push('');
    for (const warning of r.warnings) lines.push(`  warning: ${warning}`);
  }
  return lines.join('\n');
}
