// `logshipper crds apply`: the LogShipper CRD this image carries, applied to the cluster of
// KUBECONFIG (or in-cluster config). The chart's pre-upgrade hook runs it; people may too.
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../sidecar/log.ts';
import { applyCrd, CRD_FIELD_MANAGER, CrdApplyError } from './crd-apply.ts';
import { duration, UsageError } from './cli.ts';
import { crdObject } from './schema/crd.ts';

export const CRDS_USAGE = `Usage: logshipper crds apply [options]

Server-side applies the LogShipper CRD (logshippers.logshipper.io) of this version (field manager
${CRD_FIELD_MANAGER}, taking over fields other managers hold) and waits until the apiserver serves it
(Established). Logs what changed: schema fields and printer columns added, removed or changed.
Never deletes anything. Needs get and patch on customresourcedefinitions (and create when the CRD
does not exist yet).

Options:
  --dry-run            ask the apiserver what would change (dryRun=All); change nothing
  --timeout DUR        how long to wait for Established (default: 60s)
  --log-level LEVEL    fatal, error, warn, info, debug, trace, silent (default: info)
  -h, --help           this help

Exit codes: 0 applied (or nothing to change), 1 refused by the apiserver (an invalid change, a
missing permission), unreachable or not Established in time, 2 usage error.`;

interface Flags {
  dryRun: boolean;
  timeoutMs: number;
  logLevel: string | undefined;
}

export function parseCrdsArgs(args: string[]): Flags | 'help' {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') return 'help';
  if (subcommand !== 'apply') throw new UsageError(subcommand === undefined ? 'a subcommand is required: apply' : `unknown subcommand "${subcommand}": apply is allowed`);
  const flags: Flags = { dryRun: false, timeoutMs: 60_000, logLevel: undefined };
  for (let i = 0; i < rest.length; i++) {
    const [arg = '', inline] = (rest[i] ?? '').split(/=(.*)/s, 2);
    const value = (): string => {
      const next = inline ?? rest[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '-h': case '--help': return 'help';
      case '--dry-run': flags.dryRun = true; break;
      case '--timeout': flags.timeoutMs = duration(arg, value()); break;
      case '--log-level': flags.logLevel = value(); break;
      default: throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return flags;
}

export async function runCrdsCommand(args: string[]): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseCrdsArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`logshipper crds: ${error.message}\n\n${CRDS_USAGE}`);
    return 2;
  }
  if (flags === 'help') {
    console.log(CRDS_USAGE);
    return 0;
  }
  let log;
  try {
    log = createLogger(flags.logLevel);
  } catch (error) {
    console.error(`logshipper crds: --log-level: ${(error as Error).message}`);
    return 2;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  try {
    await applyCrd(kubeConfig, crdObject(), { dryRun: flags.dryRun, timeoutMs: flags.timeoutMs, log });
    return 0;
  } catch (error) {
    if (!(error instanceof CrdApplyError)) throw error;
    log.error({ err: error.message }, 'CRD not applied');
    return 1;
  }
}
