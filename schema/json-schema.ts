import { z } from 'zod';
import { EXECUTOR_SCHEMAS, ExecutorName } from './executors';

/** Nx's executor schema.json, derived from the zod schema (the zod schema is the source of truth). */
export function executorJsonSchema(name: ExecutorName): Record<string, unknown> {
  const { schema, title, description } = EXECUTOR_SCHEMAS[name];
  const json = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  // Nx validates options with its own checker; unknown CLI flags must reach the executor's zod parse (which names them)
  delete json.additionalProperties;
  return { $schema: 'http://json-schema.org/schema', version: 2, title, description, ...json };
}

export function executorJsonSchemaText(name: ExecutorName): string {
  return `${JSON.stringify(executorJsonSchema(name), null, 2)}\n`;
}
