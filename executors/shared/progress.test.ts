import { progressLine } from './progress';

/** A stand-in stream recording what was written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progressLine', () => {
  it('in CI logs (no TTY) writes one line per 10%, never a carriage return', () => {
    const s = stream(false);
    const p = progressLine('convert-weight q4f16_1', s);
    for (let i = 0; i <= 1000; i++) p.update(i / 1000, `${i} MB`);
    p.done();
    const lines = s.text.trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('convert-weight q4f16_1   0%  0 MB');
    expect(lines[10]).toBe('convert-weight q4f16_1 100%  1000 MB');
    expect(s.text).not.toContain('\r');
  });

  it('on a terminal redraws one line in place and clears it at the end', () => {
    const s = stream(true);
    const p = progressLine('x', s);
    p.update(0.5, 'half');
    p.update(1, 'all');
    p.done();
    expect(s.text).toBe('\r\x1b[2Kx  50%  half\r\x1b[2Kx 100%  all\r\x1b[2K');
    expect(s.text).not.toContain('\n');
  });
});
