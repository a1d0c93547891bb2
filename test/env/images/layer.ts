// Image layers: a directory tree (or some paths of one) as a tar made reproducible by GNU tar
// (entries sorted by name, owned by 0:0 numerically, one fixed mtime, GNU format: no pax headers
// carrying a pid or times), so the same files always give the same digest. File modes are kept.
// Layers are not compressed: the archives never leave this machine, and gzip would cost more
// time than it saves (see test/env/README.md for the numbers).
import { createHash } from 'node:crypto';
import fs, { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { cachedDir, keepRecent } from '../cache.ts';
import { run } from '../process.ts';

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';

export interface Layer {
  /** The tar file on this machine. */
  file: string;
  /** `sha256:<hex>` of the file: for an uncompressed layer both its digest and its diff_id. */
  digest: string;
  size: number;
}

/** A path in the layer: a directory alone (`recursive: false`) or with everything below it. */
export interface LayerPath {
  path: string;
  recursive: boolean;
}

const TAR_FLAGS = ['--format=gnu', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0'];

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The entries for `paths`: every parent directory first (itself only), then the paths as given. */
export function tarMembers(paths: LayerPath[]): LayerPath[] {
  const parents = new Set<string>();
  for (const { path: p } of paths) {
    const parts = path.posix.resolve('/', p).split('/').filter((part) => part !== '');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'));
  }
  const own = paths.map((p) => ({ path: path.posix.resolve('/', p.path).slice(1), recursive: p.recursive }));
  const ownNames = new Set(own.map((p) => p.path));
  return [...[...parents].filter((p) => !ownNames.has(p)).sort().map((p) => ({ path: p, recursive: false })), ...own];
}

/** Writes a reproducible tar of `paths` (absolute under `root`, parents added) into `file`. */
export async function reproducibleTar(root: string, paths: LayerPath[], file: string, log: string): Promise<void> {
  const members = tarMembers(paths).flatMap((m) => [m.recursive ? '--recursion' : '--no-recursion', m.path]);
  await run('tar', 'tar', ['-c', '-f', file, ...TAR_FLAGS, '-C', root, ...members], { log });
}

/** Tars `paths` (absolute in the image) of the tree at `root` into `file`. */
export async function tarLayer(root: string, paths: LayerPath[], file: string, log: string): Promise<Layer> {
  await reproducibleTar(root, paths, file, log);
  return { file, digest: await sha256File(file), size: statSync(file).size };
}

/** The /tmp every image has: world-writable, sticky (mode 1777). */
export function makeTmp(root: string): void {
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
}

/** Tars the whole tree at `root`. */
export async function tarTree(root: string, file: string, log: string): Promise<Layer> {
  return tarLayer(root, readdirSync(root).map((name) => ({ path: `/${name}`, recursive: true })), file, log);
}

/** Versions of a cached layer kept (older ones are removed when a new one is made). */
const KEEP_LAYERS = 2;

/**
 * A layer cached in `<cache>/images/<prefix><key>/` (layer.tar, layer.json), made by `fill(root)`
 * from an empty root.
 */
export async function cachedLayer(log: string, prefix: string, key: string, fill: (root: string) => Promise<void> | void): Promise<Layer> {
  const name = path.join('images', `${prefix}${key.slice(0, 16)}`);
  const dir = await cachedDir(name, async (out) => {
    const root = path.join(out, 'root');
    fs.mkdirSync(root);
    await fill(root);
    const layer = await tarTree(root, path.join(out, 'layer.tar'), log);
    fs.writeFileSync(path.join(out, 'layer.json'), JSON.stringify({ digest: layer.digest, size: layer.size }));
    fs.rmSync(root, { recursive: true });
  });
  const { digest, size } = JSON.parse(fs.readFileSync(path.join(dir, 'layer.json'), 'utf8')) as Omit<Layer, 'file'>;
  keepRecent(name, prefix, KEEP_LAYERS);
  return { file: path.join(dir, 'layer.tar'), digest, size };
}
