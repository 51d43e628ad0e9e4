import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXECUTOR_SCHEMAS, ExecutorName } from './executors';
import { executorJsonSchemaText } from './json-schema';

const ROOT = path.resolve(__dirname, '..');

describe('executor schema.json files', () => {
  it.each(Object.keys(EXECUTOR_SCHEMAS) as ExecutorName[])('executors/%s/schema.json is the one derived from the zod schema', (name) => {
    const onDisk = fs.readFileSync(path.join(ROOT, 'executors', name, 'schema.json'), 'utf8');
    // regenerate with: node -r @swc-node/register schema/write-executor-schemas.ts
    expect(onDisk).toBe(executorJsonSchemaText(name));
  });

  it('executors.json registers every executor with a schema that exists and a built implementation path', () => {
    const reg = JSON.parse(fs.readFileSync(path.join(ROOT, 'executors.json'), 'utf8')).executors;
    expect(Object.keys(reg)).toEqual(expect.arrayContaining(Object.keys(EXECUTOR_SCHEMAS)));
    for (const [name, e] of Object.entries<{ implementation: string; schema: string }>(reg)) {
      expect(fs.existsSync(path.join(ROOT, e.schema))).toBe(true);
      expect(e.implementation).toBe(`./dist/executors/${name}/executor.js`);
      expect(fs.existsSync(path.join(ROOT, 'executors', name, 'executor.ts'))).toBe(true);
    }
  });

  it('keeps Nx from rejecting options before zod names them', () => {
    const s = JSON.parse(executorJsonSchemaText('compile'));
    expect(s.version).toBe(2);
    expect(s.additionalProperties).toBeUndefined();
    expect(s.properties.device.type).toBe('string');
  });
});
