/** Typed reads of an MLC model_config dict, failing with a message that names the field. */
import { NxMlcError } from '../../../support/errors';

export class ConfigReader {
  constructor(readonly cfg: Record<string, unknown>, readonly file: string) {}

  num(field: string, fallback?: number): number {
    const v = this.cfg[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    throw new NxMlcError(`model_config.${field} must be a number (got ${JSON.stringify(v)})`, {
      file: this.file,
      field: `model_config.${field}`,
      fix: 'regenerate mlc-chat-config.json with gen-config, or set the field',
    });
  }

  /** A positive value, or the fallback when the field is absent, null, 0 or -1. */
  positive(field: string, fallback: number): number {
    const v = this.cfg[field];
    return typeof v === 'number' && v > 0 ? v : fallback;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.cfg[field];
    return typeof v === 'boolean' ? v : fallback;
  }

  str(field: string, fallback: string): string {
    const v = this.cfg[field];
    return typeof v === 'string' ? v : fallback;
  }

  obj(field: string): Record<string, unknown> | null {
    const v = this.cfg[field];
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  }

  /** RoPE theta: MLC's position_embedding_base / rope_theta, or a transformers-5 rope_parameters dict. */
  ropeTheta(): number {
    for (const f of ['position_embedding_base', 'rope_theta']) {
      const v = this.cfg[f];
      if (typeof v === 'number' && v > 0) return v;
    }
    const rp = this.obj('rope_parameters');
    if (rp && typeof rp.rope_theta === 'number') return rp.rope_theta;
    return 10000;
  }

  /** llama3-style scaling from rope_scaling (MLC) or rope_parameters (transformers 5). */
  ropeScaling(): Record<string, number | string> | null {
    for (const f of ['rope_scaling', 'rope_parameters']) {
      const rs = this.obj(f);
      if (!rs) continue;
      const type = rs.rope_type ?? rs.type;
      if (type === undefined || type === 'default') continue;
      if (type !== 'llama3') {
        throw new NxMlcError(`RoPE scaling "${String(type)}" is not supported by the cpu compiler yet`, {
          file: this.file,
          field: `model_config.${f}.rope_type`,
          fix: 'only default and llama3 RoPE are implemented',
        });
      }
      return rs as Record<string, number | string>;
    }
    return null;
  }

  act(field: string): 'silu' | 'gelu_tanh' {
    const a = this.str(field, 'silu');
    if (a === 'silu' || a === 'swish') return 'silu';
    if (a === 'gelu_pytorch_tanh' || a === 'gelu_new' || a === 'gelu_tanh') return 'gelu_tanh';
    throw new NxMlcError(`activation "${a}" is not supported by the cpu compiler`, {
      file: this.file,
      field: `model_config.${field}`,
      fix: 'supported: silu, gelu_pytorch_tanh',
    });
  }
}
