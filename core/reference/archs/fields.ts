import { NxMlcError } from '../../support/errors';

/**
 * Typed access to an MLC `model_config` object. Every failure names the field and says what to do,
 * because a model_config usually comes from a hand-editable mlc-chat-config.json.
 */
export class ModelConfigFields {
  constructor(
    private readonly cfg: Record<string, unknown>,
    private readonly modelType: string,
    private readonly file?: string,
  ) {}

  has(name: string): boolean {
    const v = this.cfg[name];
    return v !== undefined && v !== null;
  }

  raw(name: string): unknown {
    return this.cfg[name];
  }

  number(name: string, fallback?: number): number {
    const v = this.cfg[name];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw this.error(`model_config of a ${this.modelType} model lacks the number "${name}"`, name,
        `Regenerate mlc-chat-config.json with gen-config, or add "${name}" to its model_config.`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw this.error(`model_config.${name} must be a finite number, got ${JSON.stringify(v)}`, name,
        `Set "${name}" to a number in mlc-chat-config.json.`);
    }
    return v;
  }

  /** A positive integer; 0 (MLC's "derive me" default) counts as absent and takes the fallback. */
  positiveInt(name: string, fallback?: number): number {
    const v = this.has(name) ? this.number(name) : undefined;
    if (v === undefined || v === 0) {
      if (fallback !== undefined) return fallback;
      return this.number(name); // throws the "lacks" error
    }
    if (!Number.isInteger(v) || v < 0) {
      throw this.error(`model_config.${name} must be a positive integer, got ${v}`, name, `Fix "${name}" in mlc-chat-config.json.`);
    }
    return v;
  }

  /** A number that may be null/absent (soft-capping values, sliding windows). */
  optionalNumber(name: string): number | null {
    return this.has(name) ? this.number(name) : null;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.cfg[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      throw this.error(`model_config.${name} must be true or false, got ${JSON.stringify(v)}`, name, `Set "${name}" to a boolean.`);
    }
    return v;
  }

  string(name: string, fallback?: string): string {
    const v = this.cfg[name];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw this.error(`model_config of a ${this.modelType} model lacks "${name}"`, name, `Add "${name}" to model_config.`);
    }
    if (typeof v !== 'string') throw this.error(`model_config.${name} must be a string`, name, `Set "${name}" to a string.`);
    return v;
  }

  object(name: string): Record<string, unknown> | null {
    const v = this.cfg[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw this.error(`model_config.${name} must be an object or null`, name, `Fix "${name}" in mlc-chat-config.json.`);
    }
    return v as Record<string, unknown>;
  }

  error(message: string, field: string, fix: string): NxMlcError {
    return new NxMlcError(message, { file: this.file, field: `model_config.${field}`, fix });
  }
}
