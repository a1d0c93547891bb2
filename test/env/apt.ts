// Debian packages for the test environment (kcat, the node's container runtime). `up` prepares
// components in parallel, and apt takes exclusive locks (its lists, dpkg): two installs at once,
// or one beside the machine's own unattended upgrade, fail with "Could not get lock". So installs
// run one at a time here, and apt waits for a lock another process holds instead of failing.
import { run } from './process.ts';

/** How long apt waits for a lock held by another process (e.g. an unattended upgrade on a fresh machine). */
const LOCK_TIMEOUT_S = 600;

let queue: Promise<unknown> = Promise.resolve();

/** `apt-get update` then `apt-get install` of `packages`, as root, after any install already under way. */
export function aptInstall(component: string, packages: readonly string[], log: string): Promise<void> {
  const install = async (): Promise<void> => {
    const options = ['-q', '-o', `DPkg::Lock::Timeout=${String(LOCK_TIMEOUT_S)}`];
    await run(component, 'apt-get', [...options, 'update'], { log, timeoutMs: 15 * 60_000 });
    await run(component, 'apt-get', [...options, 'install', '-y', '--no-install-recommends', ...packages], {
      log, timeoutMs: 15 * 60_000, env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  const result = queue.then(install);
  queue = result.catch(() => undefined);
  return result;
}
