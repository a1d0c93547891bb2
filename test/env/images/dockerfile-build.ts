// Runs a Dockerfile's stages on this machine, without a Docker engine: each stage gets a directory
// standing for its root filesystem, holding what its own instructions write (not its base image's
// files). COPY copies from the build context or from an earlier stage, RUN runs through /bin/sh in
// the stage's WORKDIR with the project's Node first on PATH (this machine's tools stand in for the
// base image's), ENV sets variables for later RUNs. The final stage is the image: its RUN would run
// here rather than in the image's filesystem, so it is refused; its WORKDIR and COPY lines each
// become a layer (project-image.ts), as in a Docker build.
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { copyTarget, resolveWorkdir, stageConfig, type DockerfileStage, type Instruction, type StageConfig } from './dockerfile.ts';
import { note, run, TestEnvError } from '../process.ts';

/** What one filesystem-changing instruction wrote: the paths (absolute in the image) it made. */
export interface Change {
  line: string;
  /** Directories only themselves (WORKDIR), else everything below them too. */
  paths: { path: string; recursive: boolean }[];
}

export interface BuiltStage {
  stage: DockerfileStage;
  /** Stands for the stage's `/`. */
  root: string;
  config: StageConfig;
  changes: Change[];
}

export interface BuildOptions {
  /** The directory COPY reads from (without --from). */
  context: string;
  /** An empty directory to build in; stage i's root is `<workDir>/stage-<i>`. */
  workDir: string;
  /** Every RUN's output goes here (the build's log). */
  log: string;
  /** Limit for one RUN. */
  runTimeoutMs: number;
}

const COMPONENT = 'dockerfile';

function inRoot(root: string, imagePath: string): string {
  return path.join(root, path.posix.resolve('/', imagePath));
}

function copy(step: Extract<Instruction, { kind: 'COPY' }>, stage: BuiltStage, built: BuiltStage[], context: string, workdir: string | undefined): Change {
  const from = step.from === undefined ? undefined : built.find((b) => b.stage.name === step.from);
  if (step.from !== undefined && from === undefined) throw new TestEnvError(COMPONENT, `\`${step.line}\`: no earlier stage named ${step.from}`);
  const change: Change = { line: step.line, paths: [] };
  for (const source of step.sources) {
    if (/[*?[]/.test(source)) throw new TestEnvError(COMPONENT, `\`${step.line}\`: wildcards in COPY sources are not modelled (${source})`);
    const sourcePath = from === undefined ? path.join(context, path.posix.normalize(source)) : inRoot(from.root, source);
    const target = copyTarget(workdir, source, step.destination, step.sources.length);
    const targetPath = inRoot(stage.root, target);
    mkdirSync(path.dirname(targetPath), { recursive: true });
    // verbatimSymlinks: node_modules/.bin links stay relative, as Docker's COPY keeps them
    // (by default cpSync would point them at this machine's build directory).
    cpSync(sourcePath, targetPath, { recursive: true, verbatimSymlinks: true, errorOnExist: false, force: true });
    change.paths.push({ path: target, recursive: true });
  }
  return change;
}

async function runStep(step: Extract<Instruction, { kind: 'RUN' }>, cwd: string, env: Record<string, string>, options: BuildOptions): Promise<void> {
  const started = Date.now();
  await run(COMPONENT, '/bin/sh', ['-c', step.command], {
    cwd,
    env: { ...env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
    log: options.log,
    timeoutMs: options.runTimeoutMs,
  });
  // npm ci is most of a build: say how long each step took.
  note(`${step.line}: ${(Math.round((Date.now() - started) / 100) / 10).toFixed(1)} s`);
}

/** Runs `stages` in order; returns each stage's root, config and changes. */
export async function buildStages(stages: DockerfileStage[], options: BuildOptions): Promise<BuiltStage[]> {
  const built: BuiltStage[] = [];
  for (const [index, stage] of stages.entries()) {
    const current: BuiltStage = { stage, root: path.join(options.workDir, `stage-${String(index)}`), config: stageConfig(stage), changes: [] };
    mkdirSync(current.root, { recursive: true });
    const final = index === stages.length - 1;
    let workdir: string | undefined;
    const env: Record<string, string> = {};
    for (const step of stage.instructions) {
      switch (step.kind) {
        case 'WORKDIR':
          workdir = resolveWorkdir(workdir, step.path);
          mkdirSync(inRoot(current.root, workdir), { recursive: true });
          current.changes.push({ line: step.line, paths: [{ path: workdir, recursive: false }] });
          break;
        case 'ENV':
          Object.assign(env, step.vars);
          break;
        case 'COPY':
          current.changes.push(copy(step, current, built, options.context, workdir));
          break;
        case 'RUN':
          if (final) throw new TestEnvError(COMPONENT, `\`${step.line}\`: RUN in the final stage is not modelled (it would run on this machine, not in the image's filesystem)`);
          await runStep(step, inRoot(current.root, workdir ?? '/'), env, options);
          break;
        case 'USER':
        case 'ENTRYPOINT':
        case 'CMD':
          break; // config only: stageConfig
      }
    }
    built.push(current);
  }
  return built;
}
