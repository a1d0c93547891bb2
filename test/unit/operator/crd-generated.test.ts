// The generated files are checked in: each must be exactly what the schema source generates now,
// so that a field is edited in one place (operator/schema/logshipper.ts) and nowhere else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMAND, CRD_PATHS, generatedFiles, README_PATH, SOURCE, TYPES_PATH } from '../../../build/crd-outputs.ts';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');

describe(`generated from ${SOURCE}`, () => {
  const files = generatedFiles(read(README_PATH));

  it('names every generated file', () => {
    assert.deepEqual([...files.keys()].sort(), [...CRD_PATHS, TYPES_PATH, README_PATH].sort());
  });

  for (const [path, content] of files) {
    it(`${path} is up to date`, () => {
      // Not deepEqual on the text: a diff of a whole file says less than the command that fixes it.
      assert.ok(read(path) === content, `${path} differs from what ${SOURCE} generates: run \`${COMMAND}\` (and edit ${SOURCE}, not ${path})`);
    });
  }

  it('generating twice gives the same bytes', () => {
    assert.deepEqual(generatedFiles(read(README_PATH)), files);
  });
});
