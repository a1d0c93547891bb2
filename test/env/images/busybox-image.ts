// The image of the tests' application containers: Debian's busybox-static, /bin/busybox with a
// link for each of its applets (what `busybox --install -s` would make), so a test runs
// `sh -c '...'` containers that write log lines, trap SIGTERM, sleep. Cached by the package version.
import fs from 'node:fs';
import path from 'node:path';
import { logFile } from '../paths.ts';
import { run } from '../process.ts';
import { candidateVersions, unpackPackages } from './debian.ts';
import { builderParts, keyOf } from './key.ts';
import { makeTmp, tarTree } from './layer.ts';
import { DEFAULT_PATH } from './node-base.ts';
import { cachedArchive, writeOciArchive, type ImageArchive } from './oci.ts';

export const BUSYBOX_IMAGE = 'logshipper.test/busybox:1';
const PACKAGE = 'busybox-static';
const LOG = logFile('build-image-busybox');

export async function buildBusyboxImage(): Promise<ImageArchive> {
  const versions = await candidateVersions([PACKAGE], LOG);
  const key = keyOf([...Object.entries(versions).flat(), ...builderParts()]);
  return cachedArchive('busybox-', key, 2, async (file, scratch) => {
    const root = path.join(scratch, 'root');
    await unpackPackages(versions, root, LOG);
    // The binary is static: it runs here and lists its applets' paths (bin/sh, usr/bin/env, ...).
    const applets = (await run('busybox-image', path.join(root, 'bin', 'busybox'), ['--list-full'], { log: LOG })).split('\n').filter((line) => line !== '');
    for (const applet of applets) {
      const link = path.join(root, applet);
      if (fs.existsSync(link)) continue;
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync('/bin/busybox', link);
    }
    makeTmp(root);
    const layer = await tarTree(root, path.join(scratch, 'layer.tar'), LOG);
    return writeOciArchive(file, BUSYBOX_IMAGE, { Env: [`PATH=${DEFAULT_PATH}`], Cmd: ['sh'] }, [layer], LOG);
  });
}
