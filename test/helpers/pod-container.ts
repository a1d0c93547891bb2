// Runs a container of a stored pod as a local process, as a kubelet would run it, for the e2e test
// (no kubelet runs here). The process gets exactly the container's command (the image's ENTRYPOINT,
// read from our Dockerfile, when the container sets none) and args, the image's ENV plus the
// container's env, its volume mounts at their mountPaths, its user, and a read-only root
// filesystem. The mounts are bind mounts in a private mount namespace (`unshare --mount`), as the
// kubelet's are: what the container sees at /etc/logshipper is the same directory the test updates
// the way the kubelet updates a ConfigMap volume. New mount points are made inside overlays of
// their top directories (/etc, /var), so nothing is created on this machine outside temp dirs.
// Needs root (CI and developers' machines run the tests as root).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { watchProcess, type RunningAgent } from './agent.ts';
import { finalStage, readDockerfile, stageConfig } from '../env/images/dockerfile.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Mount {
  /** The directory on this machine. */
  source: string;
  /** Where the container sees it (the volumeMount's mountPath). */
  target: string;
  readOnly: boolean;
}

/** The Dockerfile's final stage: ENTRYPOINT and ENV. */
export function imageConfig(): { entrypoint: string[]; env: Record<string, string> } {
  const { entrypoint, env } = stageConfig(finalStage(readDockerfile()));
  if (entrypoint === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  return { entrypoint, env };
}

/**
 * The image's command as it runs here: `node` is this Node, and the compiled /app/dist/cli/main.js
 * is its source cli/main.ts (the Dockerfile test proves the build; type stripping runs the source).
 */
function localCommand(command: string[]): string[] {
  return command.map((word) => {
    if (word === 'node') return process.execPath;
    if (word === '/app/dist/cli/main.js') return join(ROOT, 'cli', 'main.ts');
    return word;
  });
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Starts `container` with `env` (resolved by the caller) and `mounts`; its JSON log lines are watched. */
export function startContainer(container: V1Container, env: Record<string, string>, mounts: Mount[]): RunningAgent {
  const image = imageConfig();
  const command = localCommand([...(container.command ?? image.entrypoint), ...(container.args ?? [])]);
  const uid = container.securityContext?.runAsUser;
  const gid = container.securityContext?.runAsGroup ?? uid;
  const scratch = mkdtempSync(join(tmpdir(), 'logshipper-container-'));
  const script = ['set -e'];
  // Mount points that do not exist are made inside an overlay of their top directory.
  const tops = [...new Set(mounts.map((m) => `/${m.target.split('/')[1] ?? ''}`))];
  for (const [index, top] of tops.entries()) {
    const upper = join(scratch, `upper-${String(index)}`);
    const work = join(scratch, `work-${String(index)}`);
    mkdirSync(upper);
    mkdirSync(work);
    script.push(`mount -t overlay overlay -o lowerdir=${top},upperdir=${upper},workdir=${work} ${top}`);
  }
  for (const mount of mounts) {
    script.push(`mkdir -p ${quote(mount.target)}`, `mount --bind ${quote(mount.source)} ${quote(mount.target)}`);
    if (mount.readOnly) script.push(`mount -o remount,bind,ro ${quote(mount.target)}`);
  }
  if (container.securityContext?.readOnlyRootFilesystem === true) {
    for (const top of ['/', ...tops]) script.push(`mount -o remount,bind,ro ${top}`);
  }
  const user = uid === undefined ? [] : ['setpriv', `--reuid=${String(uid)}`, `--regid=${String(gid ?? uid)}`, '--clear-groups', '--'];
  script.push('exec "$@"');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script.join('\n'), 'sh', ...user, ...command], {
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    // A container's environment: the image's ENV and the container's env, nothing of ours (PATH for the
    // mount tools; images set one too).
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...image.env, ...env },
  });
  return watchProcess(child, 'sidecar');
}

