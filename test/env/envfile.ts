// .testenv/env: the connection details of the running environment as shell `KEY=value` lines
// (`set -a; . .testenv/env; set +a` in a shell; test/run.ts passes up()'s result instead).
// Written last by `up`, atomically: its presence means an `up` completed.
import fs from 'node:fs';
import { ENV_FILE, STATE_DIR } from './paths.ts';

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export function writeEnvFile(env: Record<string, string>): void {
  const text = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join('');
  const tmp = `${ENV_FILE}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, ENV_FILE);
}

/** The env file as a record, or undefined when there is none. Reads only what writeEnvFile writes. */
export function readEnvFile(): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(ENV_FILE, 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const raw = m[2];
    env[m[1]] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll(`'\\''`, "'") : raw;
  }
  return env;
}

/** Variables through which a caller points us at things of their own instead of ours. */
export const OVERRIDES = ['KAFKA_BROKERS', 'KUBECONFIG', 'KUBEBUILDER_ASSETS', 'HELM', 'KCAT', 'PROMETHEUS', 'PROMTOOL'] as const;

/**
 * The caller's value of an override variable, if they gave one. A shell that sourced
 * .testenv/env carries our own environment's values, which are no override (after a `down`
 * they point at nothing): the env file lists in LOGSHIPPER_TESTENV_EXTERNAL which of its
 * values did come from the caller, and only those count.
 */
export function override(name: (typeof OVERRIDES)[number]): string | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (process.env['LOGSHIPPER_TESTENV'] === STATE_DIR) {
    const external = (process.env['LOGSHIPPER_TESTENV_EXTERNAL'] ?? '').split(',');
    if (!external.includes(name)) return undefined;
  }
  return value;
}
