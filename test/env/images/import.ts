// Importing image archives into a containerd with Debian's `ctr`, into the namespace the CRI
// plugin (and so the kubelet) sees. Idempotent: an image already there with the archive's
// digest is left as it is (a second import would only read the whole archive again).
import { logFile } from '../paths.ts';
import { run, TestEnvError } from '../process.ts';
import { findOnPath } from '../tools.ts';
import type { ImageArchive } from './oci.ts';

/** The containerd namespace of the CRI plugin. */
export const CRI_NAMESPACE = 'k8s.io';
const COMPONENT = 'image-import';
const LOG = logFile('image-import');

function ctr(): string {
  const found = findOnPath('ctr');
  if (found === undefined) throw new TestEnvError(COMPONENT, 'ctr is not on PATH: apt-get install -y containerd (Debian ships ctr with it)');
  return found;
}

/** The digest containerd has for `ref` in `namespace`, if it has the image. */
export async function imageDigest(ref: string, containerdAddress: string, namespace = CRI_NAMESPACE): Promise<string | undefined> {
  const out = await run(COMPONENT, ctr(), ['--address', containerdAddress, '-n', namespace, 'images', 'ls', `name==${ref}`], { log: LOG, timeoutMs: 60_000 });
  // REF TYPE DIGEST SIZE PLATFORMS LABELS, after a header line.
  const row = out.split('\n').slice(1).map((line) => line.split(/\s+/)).find((columns) => columns[0] === ref);
  return row?.[2];
}

/** Imports `archive` into the containerd at `containerdAddress` (its gRPC socket) and unpacks it for the default snapshotter. */
export async function importImage(archive: ImageArchive, containerdAddress: string, namespace = CRI_NAMESPACE): Promise<void> {
  if ((await imageDigest(archive.ref, containerdAddress, namespace)) === archive.digest) return;
  await run(COMPONENT, ctr(), ['--address', containerdAddress, '-n', namespace, 'images', 'import', archive.file], { log: LOG, timeoutMs: 10 * 60_000 });
  const imported = await imageDigest(archive.ref, containerdAddress, namespace);
  if (imported !== archive.digest) {
    throw new TestEnvError(COMPONENT, `imported ${archive.file}, but containerd has ${archive.ref} as ${imported ?? 'nothing'}, not ${archive.digest}`, { log: LOG });
  }
}
