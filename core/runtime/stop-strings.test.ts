import { StopStringFilter } from './stop-strings';

function run(stops: string[], pieces: string[]): { shown: string[]; stopped: boolean; rest: string } {
  const f = new StopStringFilter(stops);
  const shown = pieces.map((p) => f.push(p));
  return { shown, stopped: f.stopped, rest: f.flush() };
}

describe('StopStringFilter', () => {
  it('holds back a possible stop-string start and stops without showing the stop string', () => {
    const r = run(['<|im_end|>'], ['Hello', ' world<', '|im', '_end|>', 'after']);
    expect(r.shown).toEqual(['Hello', ' world', '', '', '']);
    expect(r.stopped).toBe(true);
    expect(r.rest).toBe('');
  });

  it('releases held text when it turns out not to be a stop string', () => {
    const r = run(['<|im_end|>'], ['a<', '|x', 'y']);
    expect(r.shown).toEqual(['a', '<|x', 'y']);
    expect(r.stopped).toBe(false);
  });

  it('flushes a held tail when the stream ends', () => {
    const r = run(['###'], ['x #', '#']);
    expect(r.shown).toEqual(['x ', '']);
    expect(r.rest).toBe('##');
  });

  it('stops at the earliest of several stop strings inside one piece', () => {
    const r = run(['END', 'STOP'], ['one STOP two END']);
    expect(r.shown).toEqual(['one ']);
    expect(r.stopped).toBe(true);
  });

  it('without stop strings everything passes through at once', () => {
    expect(run([], ['a', 'b']).shown).toEqual(['a', 'b']);
  });
});
