// What tests need from the test environment; missing settings fail the test loudly, never skip it.

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests with 'npm test' (which starts the test environment), or 'npm run testenv:up' and load .testenv/env`);
  }
  return value;
}

/** A name no earlier run used: tests share one broker and one apiserver. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
