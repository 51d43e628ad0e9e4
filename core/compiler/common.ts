import { createHash } from 'node:crypto';
import { canonical } from '../../schema/canonical-json';
import { NxMlcError } from '../support/errors';

/** What every target's compile driver shares: hashing for manifests and the --opt grammar. */

export type OptLevel = 'O0' | 'O1' | 'O2' | 'O3';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The manifest's `model_config_hash`: sha256 of the model_config as stable JSON (sorted keys). */
export const modelConfigHash = (modelConfig: unknown): string => sha256(canonical(modelConfig));

export function normalizeOpt(opt: string | undefined): OptLevel {
  const o = (opt ?? 'O2').toUpperCase();
  if (o === 'O0' || o === 'O1' || o === 'O2' || o === 'O3') return o;
  throw new NxMlcError(`unsupported --opt "${opt}"`, { field: 'opt', fix: 'use O0, O1, O2 (default) or O3' });
}
