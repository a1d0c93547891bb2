// Polling for a condition in tests: counts and states, not timings.

/** Resolves once `condition()` holds, checking every 20 ms; throws naming `what` after timeoutMs. */
export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
