// The pure parts of the test images: Dockerfile parsing and config inheritance, COPY targets,
// layer members, the OCI documents; and one small archive written and read back with tar.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyTarget, DockerfileError, finalStage, imageConfig, parseDockerfile, readDockerfile, stageConfig } from '../../env/images/dockerfile.ts';
import { tarLayer, tarMembers } from '../../env/images/layer.ts';
import { blob, configDocument, indexDocument, manifestDocument, tagOf, writeOciArchive } from '../../env/images/oci.ts';

const DOCKERFILE = `# a comment
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci \\
  --no-audit
CMD ["early"]

FROM node:24-bookworm-slim
ENV NODE_ENV=production A=1
WORKDIR /app
WORKDIR sub
COPY --from=build /app/node_modules ./node_modules
USER 65534:65534
ENTRYPOINT ["node", "--flag", "/app/main.js"]
CMD ["--help"]
`;

describe('Dockerfile parsing', () => {
  it('splits stages and types each instruction, joining continued lines', () => {
    const stages = parseDockerfile(DOCKERFILE, 'Dockerfile');
    assert.deepEqual(stages.map((s) => [s.image, s.name, s.instructions.length]), [['node:24-bookworm-slim', 'build', 4], ['node:24-bookworm-slim', '1', 7]]);
    const [build, image] = stages;
    assert.ok(build && image);
    assert.deepEqual(build.instructions[1], { kind: 'COPY', line: 'COPY package.json package-lock.json ./', from: undefined, sources: ['package.json', 'package-lock.json'], destination: './' });
    assert.deepEqual(build.instructions[2], { kind: 'RUN', line: 'RUN npm ci    --no-audit', command: 'npm ci    --no-audit' });
    assert.deepEqual(image.instructions[3], { kind: 'COPY', line: 'COPY --from=build /app/node_modules ./node_modules', from: 'build', sources: ['/app/node_modules'], destination: './node_modules' });
  });

  it("gives the final stage's config: ENV pairs, WORKDIR relative to the one before, USER, ENTRYPOINT, CMD", () => {
    assert.deepEqual(stageConfig(finalStage(parseDockerfile(DOCKERFILE, 'Dockerfile'))), {
      env: { NODE_ENV: 'production', A: '1' },
      workdir: '/app/sub',
      user: '65534:65534',
      entrypoint: ['node', '--flag', '/app/main.js'],
      cmd: ['--help'],
    });
  });

  it("parses the project's Dockerfile: every instruction in it is modelled", () => {
    const stages = readDockerfile();
    assert.ok(stages.length >= 2);
    assert.equal(stageConfig(finalStage(stages)).entrypoint?.[0], 'node');
  });

  it('refuses what it does not model, naming the file, the line and what is allowed', () => {
    assert.throws(() => parseDockerfile('FROM x\nARG V=1\n', 'df'), (error: unknown) => error instanceof DockerfileError && error.message === 'df: `ARG V=1`: instruction ARG is not modelled (allowed: FROM, WORKDIR, ENV, COPY, RUN, USER, ENTRYPOINT, CMD)');
    assert.throws(() => parseDockerfile('FROM x\nENTRYPOINT node main.js\n', 'df'), /df: `ENTRYPOINT node main.js`: only the JSON \(exec\) form/);
    assert.throws(() => parseDockerfile('FROM x\nENV A="b c"\n', 'df'), /only ENV KEY=VALUE pairs/);
    assert.throws(() => parseDockerfile('FROM x\nCOPY --chown=1 a b\n', 'df'), /COPY options other than --from= are not modelled/);
    assert.throws(() => parseDockerfile('WORKDIR /app\nFROM x\n', 'df'), /comes before any FROM/);
    assert.throws(() => parseDockerfile('FROM x y\n', 'df'), /expected FROM <image> \[AS <name>\]/);
  });
});

describe('COPY targets', () => {
  it('puts sources into a destination directory by base name, or at the destination itself', () => {
    assert.equal(copyTarget('/app', 'package.json', './', 2), '/app/package.json');
    assert.equal(copyTarget('/app', 'tsconfig.json', './', 1), '/app/tsconfig.json');
    assert.equal(copyTarget('/app', 'cli', './cli', 1), '/app/cli');
    assert.equal(copyTarget('/app', '/app/package.json', './package.json', 1), '/app/package.json');
    assert.equal(copyTarget(undefined, 'a', 'b', 1), '/b');
    assert.equal(copyTarget('/app', 'a', '/etc/b/', 1), '/etc/b/a');
  });
});

describe('image config inheritance', () => {
  const base = { Env: ['PATH=/bin', 'NODE_ENV=development'], Cmd: ['node'], Entrypoint: ['docker-entrypoint.sh'], WorkingDir: '/' };
  it('adds and replaces ENV, replaces the other fields, and a new ENTRYPOINT drops the base CMD', () => {
    assert.deepEqual(imageConfig(base, { env: { NODE_ENV: 'production', X: '1' }, workdir: '/app', user: '65534:65534', entrypoint: ['node', 'main.js'], cmd: undefined }), {
      Env: ['PATH=/bin', 'NODE_ENV=production', 'X=1'],
      User: '65534:65534',
      Entrypoint: ['node', 'main.js'],
      WorkingDir: '/app',
    });
  });
  it("keeps the stage's own CMD with its ENTRYPOINT, and the base's fields it does not set", () => {
    assert.deepEqual(imageConfig(base, { env: {}, workdir: undefined, user: undefined, entrypoint: ['x'], cmd: ['--help'] }), { Env: base.Env, Entrypoint: ['x'], Cmd: ['--help'], WorkingDir: '/' });
    assert.deepEqual(imageConfig(base, { env: {}, workdir: undefined, user: undefined, entrypoint: undefined, cmd: undefined }), base);
  });
});

describe('layer members', () => {
  it('lists each parent directory once, alone, before the paths', () => {
    assert.deepEqual(tarMembers([{ path: '/app/node_modules', recursive: true }, { path: '/app/dist', recursive: true }, { path: '/usr/local/bin/node', recursive: true }]), [
      { path: 'app', recursive: false },
      { path: 'usr', recursive: false },
      { path: 'usr/local', recursive: false },
      { path: 'usr/local/bin', recursive: false },
      { path: 'app/node_modules', recursive: true },
      { path: 'app/dist', recursive: true },
      { path: 'usr/local/bin/node', recursive: true },
    ]);
    assert.deepEqual(tarMembers([{ path: '/app', recursive: false }]), [{ path: 'app', recursive: false }]);
  });
});

describe('OCI documents', () => {
  const layer = { digest: `sha256:${'a'.repeat(64)}`, size: 10240 };
  it('are an amd64/linux config with diff_ids, a manifest of uncompressed layers, an index naming the image', () => {
    const config = blob(configDocument({ Env: ['PATH=/bin'], Cmd: ['sh'] }, [layer.digest]));
    assert.equal(config.digest, `sha256:${createHash('sha256').update(config.bytes).digest('hex')}`);
    assert.deepEqual(JSON.parse(config.bytes.toString()), { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [layer.digest] } });
    const manifest = blob(manifestDocument(config, [layer]));
    assert.deepEqual(JSON.parse(manifest.bytes.toString()), {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: 10240 }],
    });
    assert.deepEqual(indexDocument(manifest, 'logshipper.test/busybox:1'), {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': 'logshipper.test/busybox:1', 'org.opencontainers.image.ref.name': '1' },
      }],
    });
  });
  it('need a tagged reference (a registry port is no tag)', () => {
    assert.equal(tagOf('registry:5000/a/b:v1'), 'v1');
    assert.throws(() => tagOf('registry:5000/a/b'), /image reference registry:5000\/a\/b has no tag/);
  });
});

describe('OCI archive', () => {
  it('holds oci-layout, index.json and every blob under its digest; the same input gives the same bytes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logshipper-oci-'));
    try {
      fs.mkdirSync(path.join(dir, 'root', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'root', 'bin', 'tool'), '#!/bin/true\n', { mode: 0o755 });
      const log = path.join(dir, 'log');
      const layer = await tarLayer(path.join(dir, 'root'), [{ path: '/bin/tool', recursive: true }], path.join(dir, 'layer.tar'), log);
      assert.match(execFileSync('tar', ['-tvf', layer.file], { encoding: 'utf8' }), /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 bin\/\n-rwxr-xr-x 0\/0 +12 1970-01-01 00:00 bin\/tool\n$/);
      const archive = await writeOciArchive(path.join(dir, 'a.tar'), 'x.test/tool:1', { Env: [] }, [layer], log);
      fs.utimesSync(path.join(dir, 'root', 'bin', 'tool'), new Date(), new Date(1e12));
      const again = await writeOciArchive(path.join(dir, 'b.tar'), 'x.test/tool:1', { Env: [] }, [await tarLayer(path.join(dir, 'root'), [{ path: '/bin/tool', recursive: true }], path.join(dir, 'layer2.tar'), log)], log);
      assert.deepEqual(fs.readFileSync(again.file), fs.readFileSync(archive.file), 'times do not leak into the archive');
      const out = path.join(dir, 'out');
      fs.mkdirSync(out);
      execFileSync('tar', ['-xf', archive.file, '-C', out]);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]?.digest, archive.digest);
      const blobs = fs.readdirSync(path.join(out, 'blobs', 'sha256'));
      assert.equal(blobs.length, 3, 'layer, config, manifest');
      for (const name of blobs) assert.equal(createHash('sha256').update(fs.readFileSync(path.join(out, 'blobs', 'sha256', name))).digest('hex'), name);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
