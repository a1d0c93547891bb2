// The project's image, made from the Dockerfile without Docker: the build stages run on this
// machine (dockerfile-build.ts), the final stage's FROM is the stand-in base (node-base.ts), each of
// its WORKDIR/COPY lines is one layer on top, and the config is what its ENV/WORKDIR/USER/
// ENTRYPOINT/CMD lines make of the base's. Cached whole, keyed by everything it is made of (the
// Dockerfile, the context files its COPY lines name, the base's packages and Node version, these
// builders): with unchanged sources a build is a lookup, any change makes a new image and tag.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, logFile } from '../paths.ts';
import { buildStages } from './dockerfile-build.ts';
import { finalStage, imageConfig, readDockerfile, type DockerfileStage } from './dockerfile.ts';
import { builderParts, keyOf, treeParts } from './key.ts';
import { tarLayer, type Layer } from './layer.ts';
import { nodeBasePlan, type BasePlan } from './node-base.ts';
import { cachedArchive, writeOciArchive, type ImageArchive } from './oci.ts';

export const PROJECT_IMAGE_NAME = 'logshipper.test/logshipper';
const LOG = logFile('build-image-logshipper');
/** npm ci took 15 s on 2 cores even with an empty npm cache; this only catches a hang. */
const RUN_TIMEOUT_MS = 20 * 60_000;
/** Project images kept in the cache (each build of changed sources adds one; checkouts sharing the cache each use one). */
const KEEP = 4;
const PREFIX = 'logshipper-';

interface Plan {
  key: string;
  ref: string;
  stages: DockerfileStage[];
  base: BasePlan;
}

/** The build context's files that COPY lines (without --from) name, as key parts. */
function contextParts(context: string, stages: DockerfileStage[]): string[] {
  return stages.flatMap((stage) => stage.instructions).flatMap((step) => (step.kind === 'COPY' && step.from === undefined ? step.sources : [])).flatMap((source) => treeParts(context, path.join(context, source)));
}

async function plan(context: string): Promise<Plan> {
  const dockerfile = path.join(context, 'Dockerfile');
  const stages = readDockerfile(dockerfile);
  // Every stage's FROM must be what the stand-in stands for (the build stages run with this machine's Node).
  const bases = new Map<string, BasePlan>();
  for (const { image } of stages) bases.set(image, bases.get(image) ?? (await nodeBasePlan(image)));
  const base = bases.get(finalStage(stages).image);
  if (base === undefined) throw new Error('every stage has a base plan');
  const key = keyOf([fs.readFileSync(dockerfile), ...contextParts(context, stages), ...[...bases.values()].map((b) => b.key), ...builderParts()]);
  return { key, ref: `${PROJECT_IMAGE_NAME}:${key.slice(0, 12)}`, stages, base };
}

/**
 * The reference the image of the sources in `context` (the Dockerfile's folder) has,
 * `logshipper.test/logshipper:<12 hex of their hash>`, without building it.
 */
export async function projectImageRef(context = PROJECT_ROOT): Promise<string> {
  return (await plan(context)).ref;
}

/** Builds the image of `context`'s Dockerfile (or finds it in the cache). */
export async function buildProjectImage(context = PROJECT_ROOT): Promise<ImageArchive> {
  const { key, ref, stages, base } = await plan(context);
  return cachedArchive(PREFIX, key, KEEP, async (file, scratch) => {
    const built = await buildStages(stages, { context, workDir: path.join(scratch, 'stages'), log: LOG, runTimeoutMs: RUN_TIMEOUT_MS });
    const image = built.at(-1);
    if (image === undefined) throw new Error('a parsed Dockerfile has at least one stage');
    const baseImage = await base.make();
    const layers: Layer[] = [...baseImage.layers];
    for (const [index, change] of image.changes.entries()) layers.push(await tarLayer(image.root, change.paths, path.join(scratch, `layer-${String(index)}.tar`), LOG));
    return writeOciArchive(file, ref, imageConfig(baseImage.config, image.config), layers, LOG);
  });
}
