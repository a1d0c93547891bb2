// Helpers for tests that use the real test environment (test/integration/testenv.*.test.ts and
// later the project's own integration/e2e tests).
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A variable of .testenv/env. Missing means the environment was not started for this run:
 * the test must fail, never skip, since a skipped integration test proves nothing.
 */
export function testEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: these tests need the real test environment. Run them via \`npm test\`, ` +
        'or `npm run testenv:up` and then `set -a; . .testenv/env; set +a` before `node --test ...`.',
    );
  }
  return value;
}

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv('KUBECONFIG'));
  return kc;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${String(timeoutMs / 1000)}s waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A short random suffix so reruns against a kept environment never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
