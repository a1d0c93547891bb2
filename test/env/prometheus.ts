// Prometheus and promtool from Debian's `prometheus` package, for the tests that check the
// chart's alerts and dashboard against a real server. Only the two binaries are taken: the .deb
// is fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache, so nothing
// is installed on the machine and no system service is started (installing the package would
// start one). The package's other dependencies are the web UI's JavaScript, which the API does
// not need.
import fs from 'node:fs';
import path from 'node:path';
import { aptExclusive, aptUpdate } from './apt.ts';
import { cachedDir } from './cache.ts';
import { candidateVersions, unpackPackages } from './images/debian.ts';
import { logFile } from './paths.ts';
import { TestEnvError } from './process.ts';
import { fromEnv } from './tools.ts';

const COMPONENT = 'prometheus';
const PACKAGE = 'prometheus';

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

/** The version apt would fetch; the lists are refreshed once (as root) if they do not know the package. */
async function packageVersion(log: string): Promise<string> {
  const ask = async (): Promise<string | undefined> =>
    (await candidateVersions([PACKAGE], log).catch(() => undefined))?.[PACKAGE];
  const known = await ask();
  if (known !== undefined) return known;
  if (process.getuid?.() !== 0) {
    throw new TestEnvError(COMPONENT, `apt knows no version of the Debian package ${PACKAGE} and we are not root to run apt-get update: run it (or set PROMETHEUS and PROMTOOL)`, { log });
  }
  await aptUpdate(COMPONENT, log);
  const updated = await ask();
  if (updated === undefined) throw new TestEnvError(COMPONENT, `apt knows no version of the Debian package ${PACKAGE} even after apt-get update (is this Debian 12 or later?)`, { log });
  return updated;
}

/** `prometheus` and `promtool`, cached per Debian package version (or as PROMETHEUS / PROMTOOL name them). */
export async function prometheusBinaries(): Promise<PrometheusBinaries> {
  const givenServer = fromEnv('PROMETHEUS');
  const givenTool = fromEnv('PROMTOOL');
  if (givenServer !== undefined && givenTool !== undefined) return { prometheus: givenServer, promtool: givenTool };
  const log = logFile('install-prometheus');
  // apt-cache and apt-get download read apt's lists, which another component's install may be updating.
  const dir = await aptExclusive(async () => {
    const version = await packageVersion(log);
    return cachedDir(path.join('bin', `prometheus-${version}`), async (out) => {
      const root = path.join(out, 'root');
      await unpackPackages({ [PACKAGE]: version }, root, log);
      for (const binary of ['prometheus', 'promtool']) {
        const unpacked = path.join(root, 'usr', 'bin', binary);
        if (!fs.existsSync(unpacked)) throw new TestEnvError(COMPONENT, `the Debian package ${PACKAGE}=${version} has no usr/bin/${binary}`, { log });
        fs.renameSync(unpacked, path.join(out, binary));
      }
      fs.rmSync(root, { recursive: true, force: true });
    });
  });
  return { prometheus: givenServer ?? path.join(dir, 'prometheus'), promtool: givenTool ?? path.join(dir, 'promtool') };
}

/** The version a Prometheus binary reports (`prometheus, version 2.42.0+ds (branch: ...)` -> `2.42.0+ds`). */
export function reportedVersion(banner: string): string {
  return /version (\S+)/.exec(banner)?.[1] ?? 'unknown';
}
