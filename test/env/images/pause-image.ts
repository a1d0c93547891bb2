// The pod sandbox image for the test cluster's containerd (CRI `sandbox_image`): our own pause
// program (pause/pause.c), linked statically so the image holds nothing else. Cached by its
// source and compiler.
import fs from 'node:fs';
import path from 'node:path';
import { logFile } from '../paths.ts';
import { run, TestEnvError } from '../process.ts';
import { builderParts, keyOf } from './key.ts';
import { tarTree } from './layer.ts';
import { cachedArchive, writeOciArchive, type ImageArchive } from './oci.ts';

export const PAUSE_IMAGE = 'logshipper.test/pause:1';
const SOURCE = new URL('pause/pause.c', import.meta.url).pathname;
const LOG = logFile('build-image-pause');
const COMPONENT = 'pause-image';

export async function buildPauseImage(): Promise<ImageArchive> {
  const compiler = await run(COMPONENT, 'gcc', ['--version'], { log: LOG }).catch((error: unknown) => {
    throw new TestEnvError(COMPONENT, `gcc is needed to build the pause program: apt-get install -y gcc libc6-dev\n${error instanceof Error ? error.message : String(error)}`);
  });
  const key = keyOf([compiler, ...builderParts()]);
  return cachedArchive('pause-', key, 2, async (file, scratch) => {
    // A missing static libc makes gcc print the bare name back.
    const libc = (await run(COMPONENT, 'gcc', ['-print-file-name=libc.a'], { log: LOG })).trim();
    if (!path.isAbsolute(libc)) throw new TestEnvError(COMPONENT, 'gcc has no static libc (libc.a) to link the pause program with: apt-get install -y libc6-dev');
    const root = path.join(scratch, 'root');
    fs.mkdirSync(root);
    await run(COMPONENT, 'gcc', ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror', '-o', path.join(root, 'pause'), SOURCE], { log: LOG });
    fs.chmodSync(path.join(root, 'pause'), 0o755);
    const layer = await tarTree(root, path.join(scratch, 'layer.tar'), LOG);
    // 65535: the nobody-like user pause programs run as (it needs no privileges).
    return writeOciArchive(file, PAUSE_IMAGE, { User: '65535:65535', Env: [], Entrypoint: ['/pause'] }, [layer], LOG);
  });
}
