/**
 * Rotary position embedding, rotate-half (GPT-NeoX) form as transformers and MLC's RopeMode.NORMAL
 * apply it, in place on the q and k heads of the fused qkv rows. The inverse frequencies (with any
 * llama3 scaling) are a compile-time table, `inv_freq`; angles are `float(pos) * inv_freq[i]` in f32,
 * exactly as transformers forms them. Only the first `rotaryDim` lanes of a head rotate (phi3's
 * partial_rotary_factor).
 */
import type { Kernel } from '../../ir/ir';
import { add, buf, cast, kernel, let_, load, loop, mul, scalar, store, sub, un, v } from '../../ir/build';

export function ropeKernel(hq: number, hkv: number, d: number, rotaryDim: number): Kernel {
  const half = rotaryDim / 2;
  const rowLen = (hq + 2 * hkv) * d;
  const base = add(mul(v('t'), rowLen), mul(v('h'), d));
  const x = (i: ReturnType<typeof v>) => load({ name: 'qkv', t: 'f32' }, add(base, i));
  return kernel(
    `rope_hq${hq}_hkv${hkv}_d${d}_r${rotaryDim}`,
    [buf('qkv', 'f32', 'inout'), buf('inv_freq', 'f32')],
    [scalar('n'), scalar('pos')],
    [
      loop('t', 0, v('n'), [
        let_('p', cast(add(v('pos'), v('t')), 'f32')),
        loop('i', 0, half, [
          let_('ang', mul(v('p', 'f32'), load({ name: 'inv_freq', t: 'f32' }, v('i')))),
          let_('co', un('cos', v('ang', 'f32'))),
          let_('si', un('sin', v('ang', 'f32'))),
          loop('h', 0, hq + hkv, [
            let_('x1', x(v('i'))),
            let_('x2', x(add(v('i'), half))),
            store('qkv', add(base, v('i')), sub(mul(v('x1', 'f32'), v('co', 'f32')), mul(v('x2', 'f32'), v('si', 'f32')))),
            store('qkv', add(base, add(v('i'), half)), add(mul(v('x2', 'f32'), v('co', 'f32')), mul(v('x1', 'f32'), v('si', 'f32')))),
          ]),
        ]),
      ]),
    ],
  );
}

export interface RopeScaling {
  rope_type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
}

/**
 * inv_freq[i] = 1 / theta^(2i / rotaryDim), then llama3's wavelength-dependent scaling when asked
 * (transformers `_compute_llama3_parameters`, MLC `rope_freq_llama3`). Rounded to f32 like torch's table.
 */
export function ropeInvFreq(theta: number, rotaryDim: number, scaling?: RopeScaling | null): number[] {
  const out: number[] = [];
  for (let i = 0; i < rotaryDim; i += 2) {
    let freq = 1 / Math.pow(theta, i / rotaryDim);
    if (scaling && scaling.rope_type === 'llama3') {
      const factor = scaling.factor ?? 8;
      const low = scaling.low_freq_factor ?? 1;
      const high = scaling.high_freq_factor ?? 4;
      const oldCtx = scaling.original_max_position_embeddings ?? 8192;
      const lowWavelen = oldCtx / low;
      const highWavelen = oldCtx / high;
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen > lowWavelen) freq = freq / factor;
      else if (wavelen >= highWavelen) {
        const smooth = (oldCtx / wavelen - low) / (high - low);
        freq = (1 - smooth) * (freq / factor) + smooth * freq;
      }
    }
    out.push(Math.fround(freq));
  }
  return out;
}
