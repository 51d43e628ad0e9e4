/**
 * Streaming stop-string detection. Text is released only when it cannot be the beginning of a stop
 * string: the longest suffix of the pending text that is a prefix of some stop string is held back
 * until the next piece decides it. When a stop string appears, the text before it is released and the
 * stream ends; the stop string itself is never shown (as in MLC).
 */
export class StopStringFilter {
  private pending = '';
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.done;
  }

  /** Feed decoded text; returns the text that is safe to show now. */
  push(text: string): string {
    if (this.done) return '';
    this.pending += text;
    let cut = -1;
    for (const s of this.stops) {
      if (!s) continue;
      const i = this.pending.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.done = true;
      const out = this.pending.slice(0, cut);
      this.pending = '';
      return out;
    }
    const hold = this.heldLength();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  /** The stream ended without a stop string: release what was held back. */
  flush(): string {
    const out = this.done ? '' : this.pending;
    this.pending = '';
    return out;
  }

  private heldLength(): number {
    let best = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.pending.length); k > best; k--) {
        if (this.pending.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
