// The agent's process must not load the operator's code or its Kubernetes client: the sidecar's
// memory is multiplied by every pod it runs in. Both graphs are read from esbuild's metafile.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { build } from 'esbuild';
import { bundleAgent, EXTERNAL_PACKAGES } from '../../../build/agent-bundle.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const OPERATOR_CODE = /^(operator\/|cli\/status\/|node_modules\/@kubernetes\/client-node\/)/;

describe("the agent's module graph", () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-graph-'));
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('from the agent command (sidecar/cli.ts), static and dynamic imports alike, holds no operator code nor @kubernetes/client-node', async () => {
    const { metafile } = await build({
      entryPoints: [join(ROOT, 'sidecar', 'cli.ts')], bundle: true, platform: 'node', format: 'esm',
      external: EXTERNAL_PACKAGES, write: false, metafile: true, logLevel: 'silent', absWorkingDir: ROOT,
    });
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.includes('sidecar/agent.ts'), `the graph was read: ${String(inputs.length)} inputs`);
    assert.deepEqual(inputs.filter((file) => OPERATOR_CODE.test(file)), []);
  });

  it("the image's bundle holds no operator code, status command nor @kubernetes/client-node, and imports them only from the compiled tree", async () => {
    const metafile = await bundleAgent(join(dir, 'logshipper.cjs'));
    const inputs = Object.keys(metafile.inputs);
    assert.deepEqual(inputs.filter((file) => OPERATOR_CODE.test(file)), []);
    const outside = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path));
    // @node-rs/crc32 is required at run time (createRequire), so esbuild sees kafkajs only.
    assert.deepEqual([...new Set(outside)].sort(), ['./cli/status/command.js', './operator/cli.js', './operator/crds-command.js', './operator/render-command.js', 'kafkajs']);
  });
});
