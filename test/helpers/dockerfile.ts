// Runs a Dockerfile's steps on this machine, without a Docker engine: each stage gets a directory
// standing for its root filesystem's WORKDIR; COPY copies from the repository or from an earlier
// stage, RUN runs through /bin/sh there with the project's Node on PATH, ENV sets variables.
// Enough for this project's Dockerfile; an unknown instruction is an error, so the test notices
// when the Dockerfile grows something this does not model.
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Stage {
  name: string;
  dir: string;
  env: Record<string, string>;
  entrypoint: string[];
  user: string | undefined;
}

export function buildDockerfile(dockerfile: string, context: string): Stage[] {
  const stages: Stage[] = [];
  const root = mkdtempSync(join(tmpdir(), 'logshipper-dockerfile-'));
  const lines = readFileSync(dockerfile, 'utf8').replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [instruction = '', ...words] = line.split(/\s+/);
    const rest = line.slice(instruction.length).trim();
    const stage = stages.at(-1);
    if (instruction === 'FROM') {
      const name = words[2] ?? String(stages.length);
      stages.push({ name, dir: join(root, `stage-${stages.length}`), env: {}, entrypoint: [], user: undefined });
      continue;
    }
    if (stage === undefined) throw new Error(`${line}: before any FROM`);
    switch (instruction) {
      case 'WORKDIR':
        mkdirSync(stage.dir, { recursive: true });
        break;
      case 'ENV': {
        const [key = '', ...value] = rest.split('=');
        stage.env[key] = value.join('=');
        break;
      }
      case 'COPY': {
        const from = words[0]?.startsWith('--from=') === true ? words.shift()?.slice('--from='.length) : undefined;
        const destination = words.pop() ?? '.';
        const base = from === undefined ? context : stages.find((s) => s.name === from)?.dir;
        if (base === undefined) throw new Error(`${line}: no stage ${String(from)}`);
        for (const source of words) {
          const sourcePath = join(base, source.replace(/^\/app\/?/, ''));
          const target = join(stage.dir, destination.replace(/^\.\/?/, ''), destination.endsWith('/') ? source.split('/').pop() ?? '' : '');
          mkdirSync(dirname(target), { recursive: true });
          cpSync(sourcePath, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const result = spawnSync('/bin/sh', ['-c', rest], {
          cwd: stage.dir,
          env: { ...process.env, ...stage.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
          encoding: 'utf8',
          timeout: 600_000,
        });
        if (result.status !== 0) throw new Error(`${line} failed (${String(result.status)}):\n${result.stdout}\n${result.stderr}`);
        break;
      }
      case 'ENTRYPOINT':
        stage.entrypoint = JSON.parse(rest) as string[];
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'CMD':
        break;
      default:
        throw new Error(`${line}: instruction ${instruction} is not modelled by test/helpers/dockerfile.ts`);
    }
  }
  return stages;
}
