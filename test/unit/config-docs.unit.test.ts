import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

test("docs/configuration.md's table lists every variable of node/server/config.ts, and no other", () => {
  const source = readFileSync(path.join(ROOT, 'node/server/config.ts'), 'utf8');
  const schemaBody = source.slice(source.indexOf('z\n  .object({'), source.indexOf('.superRefine('));
  const variables = [...schemaBody.matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]);
  expect(variables.length).toBeGreaterThan(20);

  const docs = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
  const documented = [...docs.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
  expect([...documented].sort()).toEqual([...variables].sort());
});
