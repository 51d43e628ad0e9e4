/**
 * Progress for long stages that reads well in both places it ends up: on a terminal one line redrawn in place
 * (at most 5 times a second); in CI logs and Nx's captured output (no TTY) a new line at every 10%, so a log
 * shows steady progress without thousands of lines.
 */
export interface ProgressLine {
  update(fraction: number, detail: string): void;
  done(): void;
}

export function progressLine(label: string, stream: NodeJS.WriteStream = process.stdout): ProgressLine {
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastDecile = -1;
  let drew = false;
  return {
    update(fraction, detail) {
      const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      const text = `${label} ${String(pct).padStart(3)}%  ${detail}`;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 200 && pct < 100) return;
        lastDraw = now;
        stream.write(`\r\x1b[2K${text}`);
        drew = true;
      } else {
        const decile = Math.floor(pct / 10);
        if (decile <= lastDecile) return;
        lastDecile = decile;
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (tty && drew) stream.write('\r\x1b[2K');
    },
  };
}
