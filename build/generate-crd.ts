// `npm run generate`: writes what operator/schema/logshipper.ts generates (build/crd-outputs.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { generatedFiles, README_PATH } from './crd-outputs.ts';

const root = new URL('../', import.meta.url);
for (const [path, content] of generatedFiles(readFileSync(new URL(README_PATH, root), 'utf8'))) {
  const file = new URL(path, root);
  const before = readFileSync(file, 'utf8');
  if (before !== content) writeFileSync(file, content);
  console.log(`${before === content ? 'unchanged' : 'written  '} ${path}`);
}
