// Where the test environment keeps things. Two roots, with different lifetimes:
//  - the cache (.cache/testenv, or $LOGSHIPPER_CACHE_DIR): downloads and builds, kept across
//    up/down so that a second `testenv:up` takes seconds;
//  - the state (.testenv): everything belonging to one running environment (pids, logs, data
//    dirs, certificates, kubeconfig, env file); `down` removes it all but the logs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function cacheDir(): string {
  const override = process.env['LOGSHIPPER_CACHE_DIR'];
  return override !== undefined && override !== '' ? path.resolve(override) : path.join(PROJECT_ROOT, '.cache', 'testenv');
}

export const STATE_DIR = path.join(PROJECT_ROOT, '.testenv');
export const LOG_DIR = path.join(STATE_DIR, 'logs');
export const PID_DIR = path.join(STATE_DIR, 'pids');
export const ENV_FILE = path.join(STATE_DIR, 'env');
export const KUBECONFIG_FILE = path.join(STATE_DIR, 'kubeconfig');
/** Held during up/down (test/env/lock.ts); `down` leaves it, like the logs. */
export const LOCK_FILE = path.join(STATE_DIR, 'lock');

export function logFile(name: string): string {
  return path.join(LOG_DIR, `${name}.log`);
}
