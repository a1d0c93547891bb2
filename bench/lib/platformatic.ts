// The agent with its Kafka sink on @platformatic/kafka (platformatic-sink.ts), for the benchmarks:
// the sink and its loader hook compiled next to the agent's compiled JS, and the node flag that loads them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agentEntrypoint, ROOT } from './agent.ts';

let hooks: string | undefined;

/** `--import` of the compiled hook module (compiling it, and the agent, on first use). */
export function platformaticImportFlag(): string {
  if (hooks === undefined) {
    // The agent's entrypoint is <dist>/cli/main.js: the bench files go to <dist>/bench/lib.
    const dist = dirname(dirname(agentEntrypoint()));
    const compiled = join(dist, 'bench', 'lib', 'platformatic-hooks.js');
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'bench', 'tsconfig.platformatic.json'), '--outDir', dist], { cwd: ROOT, stdio: 'pipe' });
    } catch (error) {
      // As agentEntrypoint(): type errors elsewhere in the tree still emit JavaScript; fail only if nothing was emitted.
      if (!existsSync(compiled)) throw error;
      console.error(`bench: tsc reported errors while compiling the @platformatic/kafka sink (using what it emitted):\n${String((error as { stdout?: Buffer }).stdout ?? error).slice(0, 2000)}`);
    }
    hooks = compiled;
  }
  return `--import=${pathToFileURL(hooks).href}`;
}

/** The installed client's version, for the report. */
export function platformaticVersion(): string {
  // Its package.json is not among the package's exports.
  const manifest = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}
