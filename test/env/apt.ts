// Debian packages for the test environment (kcat, the node's container runtime, Prometheus). `up` prepares
// components in parallel, and apt takes exclusive locks (its lists, dpkg): two installs at once,
// or one beside the machine's own unattended upgrade, fail with "Could not get lock". So installs
// run one at a time here, and apt waits for a lock another process holds instead of failing.
import { run } from './process.ts';

/** How long apt waits for a lock held by another process (e.g. an unattended upgrade on a fresh machine). */
const LOCK_TIMEOUT_S = 600;

const OPTIONS = ['-q', '-o', `DPkg::Lock::Timeout=${String(LOCK_TIMEOUT_S)}`];

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after any apt work already under way and before the next: for anything that reads
 * apt's lists (`apt-get download`, `apt-cache`) while another component may be updating them.
 */
export function aptExclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task);
  queue = result.catch(() => undefined);
  return result;
}

/** `apt-get update` of the package lists, as root. Call it inside aptExclusive. */
export async function aptUpdate(component: string, log: string): Promise<void> {
  await run(component, 'apt-get', [...OPTIONS, 'update'], { log, timeoutMs: 15 * 60_000 });
}

/** `apt-get update` then `apt-get install` of `packages`, as root, after any install already under way. */
export function aptInstall(component: string, packages: readonly string[], log: string): Promise<void> {
  return aptExclusive(async () => {
    await aptUpdate(component, log);
    await run(component, 'apt-get', [...OPTIONS, 'install', '-y', '--no-install-recommends', ...packages], {
      log, timeoutMs: 15 * 60_000, env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
}
