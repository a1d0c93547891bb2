// A Dockerfile, parsed into stages of typed instructions (pure). Only what this project's
// Dockerfile uses is modelled; anything else is an error naming the line, so the builders
// (dockerfile-build.ts, project-image.ts) notice when the Dockerfile grows something new.
import { readFileSync } from 'node:fs';
import path from 'node:path/posix';
import { PROJECT_ROOT } from '../paths.ts';
import type { ImageConfig } from './oci.ts';

/** The project's one Dockerfile: the image's only source of truth (entrypoint, flags, user, env). */
export const PROJECT_DOCKERFILE = path.join(PROJECT_ROOT, 'Dockerfile');

export type Instruction =
  | { kind: 'WORKDIR'; line: string; path: string }
  | { kind: 'ENV'; line: string; vars: Record<string, string> }
  | { kind: 'COPY'; line: string; from: string | undefined; sources: string[]; destination: string }
  | { kind: 'RUN'; line: string; command: string }
  | { kind: 'USER'; line: string; user: string }
  | { kind: 'ENTRYPOINT'; line: string; args: string[] }
  | { kind: 'CMD'; line: string; args: string[] };

export interface DockerfileStage {
  /** `FROM <image>`. */
  image: string;
  /** `AS <name>`, else the stage's index, as Docker names stages. */
  name: string;
  instructions: Instruction[];
}

/** What a stage's instructions make of the image config (OCI names); unset fields are undefined. */
export interface StageConfig {
  /** Variables set by the stage's ENV lines, in order (the base image's come first in an image). */
  env: Record<string, string>;
  /** Absolute; undefined when the stage has no WORKDIR. */
  workdir: string | undefined;
  user: string | undefined;
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
}

export class DockerfileError extends Error {
  constructor(file: string, line: string, problem: string) {
    super(`${file}: \`${line}\`: ${problem}`);
    this.name = 'DockerfileError';
  }
}

/** Logical lines: continuations joined, comments and blank lines dropped. */
function logicalLines(text: string): string[] {
  return text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

function jsonArgs(file: string, line: string, rest: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) {
    // The shell form needs /bin/sh in the image; the test image has none.
    throw new DockerfileError(file, line, 'only the JSON (exec) form ["word", ...] is modelled');
  }
  return parsed;
}

function envVars(file: string, line: string, rest: string): Record<string, string> {
  const words = rest.split(/\s+/);
  const vars: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0 || /["'$]/.test(word)) throw new DockerfileError(file, line, 'only ENV KEY=VALUE pairs without quotes or $ references are modelled');
    vars[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return vars;
}

function instruction(file: string, line: string): Instruction {
  const keyword = line.split(/\s+/, 1)[0] ?? '';
  const rest = line.slice(keyword.length).trim();
  const words = rest.split(/\s+/);
  switch (keyword.toUpperCase()) {
    case 'WORKDIR':
      return { kind: 'WORKDIR', line, path: rest };
    case 'ENV':
      return { kind: 'ENV', line, vars: envVars(file, line, rest) };
    case 'COPY': {
      const from = words[0]?.startsWith('--from=') === true ? words.shift()?.slice('--from='.length) : undefined;
      if (words.some((word) => word.startsWith('--'))) throw new DockerfileError(file, line, 'COPY options other than --from= are not modelled');
      const destination = words.pop();
      if (destination === undefined || words.length === 0) throw new DockerfileError(file, line, 'COPY needs at least one source and a destination');
      return { kind: 'COPY', line, from, sources: words, destination };
    }
    case 'RUN':
      return { kind: 'RUN', line, command: rest };
    case 'USER':
      return { kind: 'USER', line, user: rest };
    case 'ENTRYPOINT':
      return { kind: 'ENTRYPOINT', line, args: jsonArgs(file, line, rest) };
    case 'CMD':
      return { kind: 'CMD', line, args: jsonArgs(file, line, rest) };
    default:
      throw new DockerfileError(file, line, `instruction ${keyword} is not modelled (allowed: FROM, WORKDIR, ENV, COPY, RUN, USER, ENTRYPOINT, CMD)`);
  }
}

/** `text` is the Dockerfile's content; `file` names it in errors. */
export function parseDockerfile(text: string, file: string): DockerfileStage[] {
  const stages: DockerfileStage[] = [];
  for (const line of logicalLines(text)) {
    const words = line.split(/\s+/);
    if (words[0]?.toUpperCase() === 'FROM') {
      const [, image, as, name] = words;
      if (image === undefined || words.length > 4 || (as !== undefined && (as.toUpperCase() !== 'AS' || name === undefined))) {
        throw new DockerfileError(file, line, 'expected FROM <image> [AS <name>]');
      }
      stages.push({ image, name: name ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new DockerfileError(file, line, 'comes before any FROM');
    stage.instructions.push(instruction(file, line));
  }
  if (stages.length === 0) throw new DockerfileError(file, '', 'has no FROM');
  return stages;
}

/** A WORKDIR's path, which may be relative to the one before. */
export function resolveWorkdir(current: string | undefined, workdir: string): string {
  return path.resolve(current ?? '/', workdir);
}

/**
 * Where COPY puts `source` (a path in the context or the other stage) given its `destination`:
 * a destination ending in `/` (or naming several sources) is a directory receiving the source
 * by its base name; otherwise it is the target itself (a directory source's contents go there).
 */
export function copyTarget(workdir: string | undefined, source: string, destination: string, sources: number): string {
  const base = path.resolve(workdir ?? '/', destination);
  return destination.endsWith('/') || sources > 1 ? path.join(base, path.basename(source)) : base;
}

/** The config a stage's instructions give (on top of its base image's). */
export function stageConfig(stage: DockerfileStage): StageConfig {
  const config: StageConfig = { env: {}, workdir: undefined, user: undefined, entrypoint: undefined, cmd: undefined };
  for (const step of stage.instructions) {
    if (step.kind === 'ENV') Object.assign(config.env, step.vars);
    if (step.kind === 'WORKDIR') config.workdir = resolveWorkdir(config.workdir, step.path);
    if (step.kind === 'USER') config.user = step.user;
    if (step.kind === 'ENTRYPOINT') config.entrypoint = step.args;
    if (step.kind === 'CMD') config.cmd = step.args;
  }
  return config;
}

/**
 * The config of an image built from a stage on `base`, as Docker derives it: ENV adds to or
 * replaces the base's variables, the other fields replace the base's, and a stage's ENTRYPOINT
 * drops the base's CMD (a CMD of the stage itself stays).
 */
export function imageConfig(base: ImageConfig, stage: StageConfig): ImageConfig {
  const env = new Map(base.Env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  for (const [key, value] of Object.entries(stage.env)) env.set(key, value);
  const config: ImageConfig = { Env: [...env].map(([key, value]) => `${key}=${value}`) };
  const user = stage.user ?? base.User;
  const entrypoint = stage.entrypoint ?? base.Entrypoint;
  const cmd = stage.cmd ?? (stage.entrypoint === undefined ? base.Cmd : undefined);
  const workdir = stage.workdir ?? base.WorkingDir;
  if (user !== undefined) config.User = user;
  if (entrypoint !== undefined) config.Entrypoint = entrypoint;
  if (cmd !== undefined) config.Cmd = cmd;
  if (workdir !== undefined) config.WorkingDir = workdir;
  return config;
}

/** The last stage: the image. */
export function finalStage(stages: DockerfileStage[]): DockerfileStage {
  const stage = stages.at(-1);
  if (stage === undefined) throw new Error('a parsed Dockerfile has at least one stage');
  return stage;
}

/** Reads and parses a Dockerfile (the project's unless given). */
export function readDockerfile(file = PROJECT_DOCKERFILE): DockerfileStage[] {
  return parseDockerfile(readFileSync(file, 'utf8'), file);
}
