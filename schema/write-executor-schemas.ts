/** Regenerate executors/<name>/schema.json from the zod schemas: `node -r @swc-node/register schema/write-executor-schemas.ts`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXECUTOR_SCHEMAS, ExecutorName } from './executors';
import { executorJsonSchemaText } from './json-schema';

for (const name of Object.keys(EXECUTOR_SCHEMAS) as ExecutorName[]) {
  const file = path.join(__dirname, '..', 'executors', name, 'schema.json');
  fs.writeFileSync(file, executorJsonSchemaText(name));
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
