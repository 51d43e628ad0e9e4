/**
 * The one error type the engine throws for bad input. It always names what was wrong (the file and,
 * where there is one, the field) and what the user can do about it, so the CLI and the Nx executors can
 * print it as is, without a stack trace.
 */
export class NxMlcError extends Error {
  readonly file?: string;
  readonly field?: string;
  readonly fix?: string;

  constructor(message: string, where: { file?: string; field?: string; fix?: string } = {}) {
    const parts = [message];
    if (where.file) parts.push(`  file: ${where.file}`);
    if (where.field) parts.push(`  field: ${where.field}`);
    if (where.fix) parts.push(`  fix: ${where.fix}`);
    super(parts.join('\n'));
    this.name = 'NxMlcError';
    this.file = where.file;
    this.field = where.field;
    this.fix = where.fix;
  }
}
