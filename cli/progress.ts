/**
 * Progress for long stages that reads well in a terminal (one line rewritten in place) and in CI logs (a new line
 * at most every few seconds or 10 %, never a wall of carriage returns).
 */
export function createProgressReporter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = !!stream.isTTY && !process.env.CI;
  let lastPrint = 0;
  let lastFraction = -1;
  return {
    update(fraction: number, detail: string): void {
      const now = Date.now();
      const pct = Math.max(0, Math.min(100, fraction * 100));
      if (tty) {
        if (now - lastPrint < 100 && fraction < 1) return;
        const width = 24;
        const filled = Math.round((pct / 100) * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(0).padStart(3)}% ${detail}\x1b[K`);
      } else {
        if (fraction < 1 && now - lastPrint < 5000 && fraction - lastFraction < 0.1) return;
        stream.write(`${label} ${pct.toFixed(0)}% ${detail}\n`);
        lastFraction = fraction;
      }
      lastPrint = now;
    },
    done(): void {
      if (tty && lastPrint) stream.write('\n');
    },
  };
}
