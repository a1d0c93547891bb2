// The OpenTelemetry Collector: a minimal distribution (filelog receiver, batch processor, kafka
// exporter) built with the Collector's own builder from the Go module proxy, cached in the test
// env's cache like its other Go tools; versions in test/env/versions.ts.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDir } from '../../test/env/cache.ts';
import { go, GO_BUILD_FLAGS, GO_ENV } from '../../test/env/go.ts';
import { logFile } from '../../test/env/paths.ts';
import { run } from '../../test/env/process.ts';
import { OTELCOL_CONTRIB_VERSION, OTELCOL_STABLE_VERSION, OTELCOL_VERSION } from '../../test/env/versions.ts';
import type { Tailer } from '../lib/contender.ts';
import { tailerContender } from '../lib/measure.ts';
import { builderManifest, collectorConfig } from '../lib/otelcol-config.ts';

const BINARY = 'otelcol-bench';
const VERSIONS = { core: OTELCOL_VERSION, stable: OTELCOL_STABLE_VERSION, contrib: OTELCOL_CONTRIB_VERSION };

let binary: string | undefined;

/**
 * Builds the distribution once (a few minutes cold: `go mod tidy` of its sources, then `go build`;
 * the builder itself passes -trimpath and -ldflags '-s -w'). A failed build throws the builder's
 * command and the tail of its log (.testenv/logs/build-otelcol.log).
 */
async function prepare(): Promise<string> {
  const dir = await cachedDir(join('bin', `otelcol-${OTELCOL_VERSION}-contrib-${OTELCOL_CONTRIB_VERSION}`), async (out) => {
    const tools = join(out, 'builder-bin');
    await go('otelcol-builder', ['install', ...GO_BUILD_FLAGS, `go.opentelemetry.io/collector/cmd/builder@${OTELCOL_VERSION}`], out, { GOBIN: tools });
    const sources = join(out, 'src');
    const manifest = join(out, 'builder.yaml');
    writeFileSync(manifest, builderManifest(VERSIONS, BINARY, sources));
    // GOFLAGS: the builder runs `go build` itself; the cache may sit inside a git checkout.
    await run('otelcol-build', join(tools, 'builder'), ['--config', manifest], {
      cwd: out, env: { ...GO_ENV, GOFLAGS: GO_BUILD_FLAGS.filter((flag) => flag.startsWith('-buildvcs')).join(' ') }, log: logFile('build-otelcol'), timeoutMs: 60 * 60_000,
    });
    renameSync(join(sources, BINARY), join(out, BINARY));
    rmSync(sources, { recursive: true, force: true });
    rmSync(tools, { recursive: true, force: true });
  });
  binary = join(dir, BINARY);
  return `OpenTelemetry Collector ${OTELCOL_VERSION}/${OTELCOL_STABLE_VERSION}, contrib ${OTELCOL_CONTRIB_VERSION} (filelog, batch, kafka; built with its builder)`;
}

export const otelcolTailer: Tailer = {
  name: 'otelcol',
  describe: 'OpenTelemetry Collector: filelog -> batch -> kafka exporter (raw bodies)',
  prepare,
  launch(t) {
    if (binary === undefined) throw new Error('otelcol: prepare() first');
    const config = join(t.work, 'otelcol.yaml');
    writeFileSync(config, collectorConfig(t));
    return { command: binary, args: ['--config', config], cwd: t.work };
  },
};

export const otelcol = tailerContender(otelcolTailer);
