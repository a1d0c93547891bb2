// A private containerd for one test file (not the test cluster's): its own config, root, state,
// socket and runc root in a fresh folder under .testenv, without the CRI plugin. It is recorded
// as a daemon, so `testenv:down` stops it if a crashed test left it running. Needs root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../env/paths.ts';
import { isRunning, run, startDaemon, stopDaemon, waitUntilReady, type Daemon } from '../env/process.ts';
import { CRI_NAMESPACE } from '../env/images/import.ts';

/** Unix socket paths are limited to 107 bytes. */
const SOCKET_PATH_MAX = 107;

export interface ContainerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PrivateContainerd {
  address: string;
  dir: string;
  /** `ctr` arguments that reach this containerd in the CRI namespace. */
  ctrArgs: string[];
  /** `ctr run --rm` of `ref` as container `id`; `args` replace the image's whole command (ctr has no --entrypoint). */
  run(ref: string, id: string, args?: string[], runOptions?: string[]): Promise<ContainerResult>;
  /** Starts `ctr run --rm` without waiting for it; `result` settles when the container exits. */
  start(ref: string, id: string, args?: string[], runOptions?: string[]): StartedContainer;
  /** Host pid of a running container's first process (`ctr task ls`). */
  taskPid(id: string): Promise<number | undefined>;
  /** Host pids of containerd-shim processes serving this containerd. */
  shims(): number[];
  /** Lines of /proc/self/mountinfo naming this containerd's folder. */
  mounts(): string[];
  /**
   * SIGKILLs every task and removes every container (what a failed test left), so no container
   * outlives containerd (its processes would go on without a shim to clean up after them). Does
   * nothing once containerd is stopped.
   */
  removeContainers(): Promise<void>;
  /** SIGTERM (then SIGKILL after 15 s) and waits; the folder stays for `remove`. */
  stop(): Promise<void>;
  /** Removes the folder; refuses while anything is mounted in it. */
  remove(): void;
}

export interface StartedContainer {
  result: Promise<ContainerResult>;
  /** What it wrote to stdout so far. */
  stdout(): string;
}

function collect(command: string, args: string[]): StartedContainer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<ContainerResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { result, stdout: () => stdout };
}

export async function startPrivateContainerd(name: string): Promise<PrivateContainerd> {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const dir = fs.mkdtempSync(path.join(STATE_DIR, `containerd-${name}-`));
  const address = path.join(dir, 'containerd.sock');
  if (Buffer.byteLength(address) > SOCKET_PATH_MAX) throw new Error(`${address}: longer than a unix socket path may be (${String(SOCKET_PATH_MAX)} bytes); move the checkout to a shorter path`);
  const config = path.join(dir, 'config.toml');
  fs.writeFileSync(config, [
    'version = 2',
    `root = ${JSON.stringify(path.join(dir, 'root'))}`,
    `state = ${JSON.stringify(path.join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = ${JSON.stringify(address)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${address}.ttrpc`)}`,
    '[debug]',
    `  address = ${JSON.stringify(path.join(dir, 'debug.sock'))}`,
    '',
  ].join('\n'));
  const daemon: Daemon = await startDaemon({ name: `containerd-${name}`, command: 'containerd', args: ['--config', config] });
  const ctrArgs = ['--address', address, '-n', CRI_NAMESPACE];
  await waitUntilReady(daemon, 'serving its gRPC socket', 30_000, async () => {
    await run(`containerd-${name}`, 'ctr', [...ctrArgs, 'version']);
    return true;
  });
  const mounts = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(dir));
  const runArgs = (ref: string, id: string, args: string[], runOptions: string[]): string[] => [...ctrArgs, 'run', '--rm', '--runc-root', path.join(dir, 'runc'), ...runOptions, ref, id, ...args];
  return {
    address,
    dir,
    ctrArgs,
    run: (ref, id, args = [], runOptions = []) => collect('ctr', runArgs(ref, id, args, runOptions)).result,
    start: (ref, id, args = [], runOptions = []) => collect('ctr', runArgs(ref, id, args, runOptions)),
    taskPid: async (id) => {
      // TASK PID STATUS, after a header line.
      const row = (await run(`containerd-${name}`, 'ctr', [...ctrArgs, 'tasks', 'ls'])).split('\n').slice(1).map((line) => line.split(/\s+/)).find((columns) => columns[0] === id);
      return row?.[2] === 'RUNNING' ? Number(row[1]) : undefined;
    },
    shims: () => fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((word) => word.includes('containerd-shim')) && argv.includes(address);
      } catch {
        return false; // gone meanwhile
      }
    }).map(Number),
    mounts,
    removeContainers: async () => {
      if (!isRunning(daemon.record)) return; // nothing left to remove: containers went with it, or it never ran them
      const ctr = (args: string[]): Promise<string> => run(`containerd-${name}`, 'ctr', [...ctrArgs, ...args]);
      const ids = (await ctr(['containers', 'ls', '-q'])).split('\n').filter((id) => id !== '');
      for (const id of ids) {
        // Each may be gone already (its `ctr run --rm` removed it meanwhile).
        await ctr(['tasks', 'delete', '--force', id]).catch(() => undefined);
        await ctr(['containers', 'delete', id]).catch(() => undefined);
      }
    },
    stop: async () => {
      await stopDaemon(daemon.record, 15_000);
    },
    remove: () => {
      // Never descend into a mount that is still there (a container's rootfs or bind mounts).
      const left = mounts();
      if (left.length > 0) throw new Error(`not removing ${dir}: still mounted there:\n${left.join('\n')}`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
