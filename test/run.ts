// The whole test suite, as `npm test` and CI run it:
//   type-check -> lint -> real test environment up -> node:test over unit, integration, e2e -> environment down.
// LOGSHIPPER_KEEP_TESTENV=1 leaves the environment running for the next run (or for debugging);
// an environment that was already up when we started is left up too.
import { spawnSync } from 'node:child_process';
import { up, isUp } from './env/up.ts';
import { down } from './env/down.ts';

function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`\n== ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`\n== ${name} failed (exit ${String(result.status ?? result.signal)})`);
    process.exit(result.status ?? 1);
  }
}

step('type-check', 'npx', ['tsc', '--noEmit']);
step('lint', 'npx', ['eslint', '--max-warnings', '0', '.']);

const wasUp = await isUp();
console.log('\n== test environment: ' + (wasUp ? 'already up, reusing it' : 'starting'));
const testEnv = await up();
const keep = wasUp || process.env['LOGSHIPPER_KEEP_TESTENV'] === '1';

let status: number;
try {
  const files = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];
  // kafkajs 2.2.4 on Node 24 warns about a negative timer once per connection (kafkajs #1751): harmless noise.
  const result = spawnSync(process.execPath, ['--disable-warning=TimeoutNegativeWarning', '--test', '--test-concurrency=1', ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...testEnv },
  });
  status = result.status ?? 1;
} finally {
  if (!keep) await down();
}
process.exit(status);
