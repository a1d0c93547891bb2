// `logshipper operator`: runs the operator against the cluster of KUBECONFIG (or in-cluster config).
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../sidecar/log.ts';
import { defaultIdentity, Operator } from './controller.ts';
import { DEFAULT_LEASE_TIMINGS } from './leader.ts';

export const OPERATOR_USAGE = `Usage: logshipper operator [options]

Renders LogShipper resources into sidecar agent configuration (ConfigMaps) and reports their status.

Options:
  --namespace NS|all        watch one namespace, or all of them (default: all)
  --leader-elect BOOL       take part in leader election on a Lease, so that one replica of several
                            reconciles at a time (default: true)
  --lease-namespace NS      namespace of the Lease (default: $POD_NAMESPACE, else the watched
                            namespace, else default)
  --lease-name NAME         name of the Lease (default: logshipper-operator)
  --lease-duration DUR      how long a Lease not renewed keeps standbys waiting (default: 15s)
  --renew-deadline DUR      how long the leader retries renewing before it gives up (default: 10s)
  --retry-period DUR        how often candidates and the leader try the Lease (default: 2s)
  --identity ID             this replica's name in the Lease (default: <hostname>_<random>)
  --metrics-port PORT       port of /healthz, /readyz and /metrics (default: 8080; 0: any free port)
  --bind-address ADDR       address to listen on (default: 0.0.0.0)
  --workers N               LogShippers reconciled in parallel (default: 2)
  --log-level LEVEL         fatal, error, warn, info, debug, trace, silent (default: info)
  -h, --help                this help

Durations: a number with ms or s (e.g. 500ms, 15s). Exit codes: 0 stopped by SIGTERM/SIGINT,
1 lost the leader Lease or failed, 2 usage error.`;

class UsageError extends Error {}

function duration(flag: string, text: string): number {
  const match = /^(\d+)(ms|s)$/.exec(text);
  if (match === null) throw new UsageError(`${flag}: invalid value "${text}": a duration such as 500ms or 15s is allowed`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${flag}: invalid value "${text}": an integer ${min}..${max} is allowed`);
  return value;
}

interface Flags {
  namespace: string | undefined;
  leaderElect: boolean;
  leaseNamespace: string | undefined;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  port: number;
  host: string;
  workers: number;
  logLevel: string | undefined;
}

export function parseOperatorArgs(args: string[]): Flags | 'help' {
  const flags: Flags = {
    namespace: undefined, leaderElect: true, leaseNamespace: undefined, leaseName: 'logshipper-operator',
    ...DEFAULT_LEASE_TIMINGS, identity: defaultIdentity(), port: 8080, host: '0.0.0.0', workers: 2, logLevel: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    let arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') return 'help';
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      const following = args[++i];
      if (following === undefined) throw new UsageError(`${arg} needs a value`);
      return following;
    };
    switch (arg) {
      case '--namespace': {
        const ns = next();
        flags.namespace = ns === 'all' ? undefined : ns;
        if (ns !== 'all' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw new UsageError(`--namespace: invalid value "${ns}": a namespace name or all is allowed`);
        break;
      }
      case '--leader-elect': {
        // `--leader-elect` alone means true; `--leader-elect false` / `--leader-elect=false` turn it off.
        const following = value ?? (args[i + 1] === 'true' || args[i + 1] === 'false' ? args[++i] : 'true');
        if (following !== 'true' && following !== 'false') throw new UsageError(`--leader-elect: invalid value "${following ?? ''}": true or false is allowed`);
        flags.leaderElect = following === 'true';
        break;
      }
      case '--lease-namespace': flags.leaseNamespace = next(); break;
      case '--lease-name': flags.leaseName = next(); break;
      case '--lease-duration': flags.leaseDurationMs = duration(arg, next()); break;
      case '--renew-deadline': flags.renewDeadlineMs = duration(arg, next()); break;
      case '--retry-period': flags.retryPeriodMs = duration(arg, next()); break;
      case '--identity': flags.identity = next(); break;
      case '--metrics-port': flags.port = integer(arg, next(), 0, 65_535); break;
      case '--bind-address': flags.host = next(); break;
      case '--workers': flags.workers = integer(arg, next(), 1, 64); break;
      case '--log-level': flags.logLevel = next(); break;
      default: throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (flags.leaderElect && !(flags.retryPeriodMs < flags.renewDeadlineMs && flags.renewDeadlineMs < flags.leaseDurationMs)) {
    throw new UsageError(`--retry-period (${flags.retryPeriodMs}ms) < --renew-deadline (${flags.renewDeadlineMs}ms) < --lease-duration (${flags.leaseDurationMs}ms) is required`);
  }
  return flags;
}

export async function runOperatorCommand(args: string[]): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseOperatorArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`logshipper operator: ${error.message}\n\n${OPERATOR_USAGE}`);
    return 2;
  }
  if (flags === 'help') {
    console.log(OPERATOR_USAGE);
    return 0;
  }
  let log;
  try {
    log = createLogger(flags.logLevel);
  } catch (error) {
    console.error(`logshipper operator: --log-level: ${(error as Error).message}`);
    return 2;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const leaseNamespace = flags.leaseNamespace ?? process.env['POD_NAMESPACE'] ?? flags.namespace ?? 'default';
  const operator = new Operator({
    kubeConfig,
    namespace: flags.namespace,
    leaderElection: flags.leaderElect
      ? { namespace: leaseNamespace, name: flags.leaseName, leaseDurationMs: flags.leaseDurationMs, renewDeadlineMs: flags.renewDeadlineMs, retryPeriodMs: flags.retryPeriodMs }
      : undefined,
    identity: flags.identity,
    http: { host: flags.host, port: flags.port },
    workers: flags.workers,
    log,
  });
  let signals = 0;
  const onSignal = (signal: string): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'stopping');
    void operator.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await operator.start();
  } catch (error) {
    log.fatal({ err: (error as Error).message }, 'operator cannot start');
    return 1;
  }
  return operator.done;
}
