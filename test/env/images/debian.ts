// Debian packages for image root filesystems: this machine's apt (Debian 12, bookworm, like the
// node:24-bookworm-slim base the Dockerfile names) picks the versions, `apt-get download` fetches
// each .deb once into the cache, `dpkg-deb -x` unpacks it (no maintainer scripts run: the
// packages used here need none to work).
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir, cachePath } from '../cache.ts';
import { run, TestEnvError } from '../process.ts';
import { keyOf } from './key.ts';

const COMPONENT = 'debian-packages';

/** This machine's Debian release name (`VERSION_CODENAME` of /etc/os-release). */
export function debianCodename(): string {
  let text = '';
  try {
    text = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    // not Debian-like: reported below
  }
  const codename = /^VERSION_CODENAME=(\S+)$/m.exec(text)?.[1];
  if (codename === undefined) throw new TestEnvError(COMPONENT, 'the images are made from Debian packages with apt: /etc/os-release names no VERSION_CODENAME (not a Debian machine?)');
  return codename;
}

const APT_LISTS = '/var/lib/apt/lists';

/** Changes whenever apt's package lists do (`apt-get update`). */
function listsStamp(): string {
  let files: string[] = [];
  try {
    files = fs.readdirSync(APT_LISTS).filter((file) => file.includes('_Packages')).sort();
  } catch {
    // no lists: apt-cache says so below
  }
  return keyOf(files.flatMap((file) => {
    const stat = fs.statSync(path.join(APT_LISTS, file));
    return [file, String(stat.size), String(stat.mtimeMs)];
  }));
}

/**
 * The versions apt would install now (`apt-cache show --no-all-versions`), by package name.
 * apt-cache reads all of apt's lists (about a second here), so the answer is kept in the cache
 * until the lists change: a warm image build takes well under that.
 */
export async function candidateVersions(names: string[], log: string): Promise<Record<string, string>> {
  const memo = cachePath('debian', `candidates-${keyOf([listsStamp(), ...names]).slice(0, 16)}.json`);
  if (fs.existsSync(memo)) return JSON.parse(fs.readFileSync(memo, 'utf8')) as Record<string, string>;
  const versions = await askApt(names, log);
  fs.mkdirSync(path.dirname(memo), { recursive: true });
  fs.writeFileSync(`${memo}.tmp-${String(process.pid)}`, JSON.stringify(versions));
  fs.renameSync(`${memo}.tmp-${String(process.pid)}`, memo);
  return versions;
}

async function askApt(names: string[], log: string): Promise<Record<string, string>> {
  const out = await run(COMPONENT, 'apt-cache', ['show', '--no-all-versions', ...names], { log });
  const versions: Record<string, string> = {};
  for (const block of out.split(/\n\s*\n/)) {
    const name = /^Package: (\S+)$/m.exec(block)?.[1];
    const version = /^Version: (\S+)$/m.exec(block)?.[1];
    if (name !== undefined && version !== undefined) versions[name] = version;
  }
  const missing = names.filter((name) => versions[name] === undefined);
  if (missing.length > 0) throw new TestEnvError(COMPONENT, `apt knows no version of ${missing.join(', ')} (run apt-get update?)`, { output: out });
  return versions;
}

/** The .deb of `name` at `version`, downloaded into the cache once. */
async function deb(name: string, version: string, log: string): Promise<string> {
  const dir = await cachedDir(path.join('debian', `${name}_${version}`), async (out) => {
    try {
      await run(COMPONENT, 'apt-get', ['download', `${name}=${version}`], { cwd: out, log, timeoutMs: 10 * 60_000 });
    } catch (error) {
      // The usual cause: apt's lists are older than the mirror's last point release.
      const why = error instanceof Error ? error.message : String(error);
      throw new TestEnvError(COMPONENT, `cannot download ${name}=${version}; if the mirror no longer has it, run \`apt-get update\` (then the current version is used)\n${why}`);
    }
  });
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (file === undefined) throw new TestEnvError(COMPONENT, `${dir} holds no .deb (remove it to download ${name} again)`);
  return path.join(dir, file);
}

/** Downloads `versions` (from candidateVersions) and unpacks them into `root`. */
export async function unpackPackages(versions: Record<string, string>, root: string, log: string): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  for (const [name, version] of Object.entries(versions)) {
    await run(COMPONENT, 'dpkg-deb', ['-x', await deb(name, version, log), root], { log });
  }
}
