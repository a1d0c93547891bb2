// OCI image layout archives (image-spec v1.0): a tar of `oci-layout`, `index.json` and
// `blobs/sha256/<hex>` (the layers, the config, the manifest). What containerd 1.6's
// `ctr images import` reads: it names the image after the index entry's `io.containerd.image.name`
// annotation (used as given); `org.opencontainers.image.ref.name` holds the tag, as the spec says.
// The JSON documents are built by pure functions, so the same inputs give the same digests.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir, keepRecent } from '../cache.ts';
import { LAYER_MEDIA_TYPE, reproducibleTar, type Layer } from './layer.ts';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
const PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

/** The runtime part of an image config (the OCI field names; what Docker's build would set). */
export interface ImageConfig {
  User?: string;
  Env: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** A JSON document as a blob: its exact bytes, digest and size. */
export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
}

/** An image archive on this machine and what identifies it. */
export interface ImageArchive {
  file: string;
  /** `repository:tag`, the name `ctr images import` gives it. */
  ref: string;
  /** The manifest's digest (what containerd lists as the image's digest). */
  digest: string;
  config: ImageConfig;
  /** Sum of the uncompressed layer sizes. */
  layersSize: number;
}

export function blob(document: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(document));
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}

/** The image config document; diff_ids are the digests of the uncompressed layer tars, base first. */
export function configDocument(config: ImageConfig, diffIds: string[]): unknown {
  return { ...PLATFORM, config, rootfs: { type: 'layers', diff_ids: diffIds } };
}

export function manifestDocument(config: Blob, layers: Pick<Layer, 'digest' | 'size'>[]): unknown {
  return {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: { mediaType: CONFIG_MEDIA_TYPE, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: LAYER_MEDIA_TYPE, digest: layer.digest, size: layer.size })),
  };
}

/** `repository[:tag]`: the tag after the last colon that is not part of a registry's host:port. */
export function tagOf(ref: string): string {
  const lastColon = ref.lastIndexOf(':');
  if (lastColon <= ref.lastIndexOf('/')) throw new Error(`image reference ${ref} has no tag (expected repository:tag)`);
  return ref.slice(lastColon + 1);
}

export function indexDocument(manifest: Blob, ref: string): unknown {
  const descriptor: Descriptor = {
    mediaType: MANIFEST_MEDIA_TYPE,
    digest: manifest.digest,
    size: manifest.size,
    platform: { ...PLATFORM },
    annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tagOf(ref) },
  };
  return { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [descriptor] };
}

function blobPath(layout: string, digest: string): string {
  return path.join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

/** Puts a layer file into the layout without copying it when the file system allows. */
function linkOrCopy(source: string, target: string): void {
  if (fs.existsSync(target)) return; // the same layer twice: one blob
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target);
  }
}

/** Writes `file`, an OCI layout archive of one image named `ref`; `layers` base first. */
export async function writeOciArchive(file: string, ref: string, config: ImageConfig, layers: Layer[], log: string): Promise<ImageArchive> {
  const layout = `${file}.layout`;
  fs.rmSync(layout, { recursive: true, force: true });
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  try {
    for (const layer of layers) linkOrCopy(layer.file, blobPath(layout, layer.digest));
    const configBlob = blob(configDocument(config, layers.map((layer) => layer.digest)));
    const manifest = blob(manifestDocument(configBlob, layers));
    for (const document of [configBlob, manifest]) fs.writeFileSync(blobPath(layout, document.digest), document.bytes);
    fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(indexDocument(manifest, ref)));
    await reproducibleTar(layout, ['/oci-layout', '/index.json', '/blobs'].map((p) => ({ path: p, recursive: true })), file, log);
    return { file, ref, digest: manifest.digest, config, layersSize: layers.reduce((sum, layer) => sum + layer.size, 0) };
  } finally {
    fs.rmSync(layout, { recursive: true, force: true });
  }
}

/**
 * An image archive cached in `<cache>/images/<prefix><key>/` (image.tar, image.json), made once
 * by `make(file, scratch)`: it writes the archive to `file` and may use the empty folder
 * `scratch`, which is removed afterwards. Only the `keep` most recently used versions are kept.
 */
export async function cachedArchive(prefix: string, key: string, keep: number, make: (file: string, scratch: string) => Promise<ImageArchive>): Promise<ImageArchive> {
  const name = path.join('images', `${prefix}${key.slice(0, 16)}`);
  const dir = await cachedDir(name, async (out) => {
    const scratch = path.join(out, 'scratch');
    fs.mkdirSync(scratch);
    const { ref, digest, config, layersSize } = await make(path.join(out, 'image.tar'), scratch);
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.writeFileSync(path.join(out, 'image.json'), JSON.stringify({ ref, digest, config, layersSize }));
  });
  const identity = JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')) as Omit<ImageArchive, 'file'>;
  keepRecent(name, prefix, keep);
  return { ...identity, file: path.join(dir, 'image.tar') };
}
