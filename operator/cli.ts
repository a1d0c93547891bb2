// `logshipper operator`: runs the operator against the cluster of KUBECONFIG (or in-cluster config).
import { KubeConfig } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { brokerEntryProblem, imageEntryProblem } from './admin-policy.ts';
import { createLogger } from '../sidecar/log.ts';
import { servingNames } from './certs.ts';
import { defaultIdentity, Operator } from './controller.ts';
import type { SidecarMode } from './inject.ts';
import { DEFAULT_LEASE_TIMINGS } from './leader.ts';
import { healthReportUrl } from './sidecar-health.ts';
import type { WebhookOptions } from './webhook-service.ts';

export const OPERATOR_USAGE = `Usage: logshipper operator [options]

Renders LogShipper resources into sidecar agent configuration (ConfigMaps) and reports their status;
with --webhook-port, also injects the sidecar into pods annotated logshipper.io/inject=<LogShipper>
(and labelled logshipper.io/inject=true, which the chart's webhook configuration selects on).

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

What LogShipper authors may use (the cluster admin's allow-lists; refused: Ready=False, not injected):
  --allowed-sidecar-images LIST  images spec.sidecar.image may name, comma-separated: exact references,
                            or prefixes ending in /*, :* or @* (e.g. registry.example/logshipper:*);
                            --sidecar-image is always allowed (default: none, so only --sidecar-image)
  --allowed-brokers LIST    brokers spec.kafka.brokers may name, comma-separated: host:port, with host
                            exact or *.domain (any name under domain) and port a number or *
                            (default: none, any broker)

Sidecar injection (a mutating admission webhook, served by every replica; off unless --webhook-port):
  --webhook-port PORT|off   HTTPS port of the webhook (POST /mutate) (default: off; 0: any free port)
  --webhook-bind-address ADDR  address the webhook listens on (default: 0.0.0.0)
  --sidecar-image IMAGE     the sidecar image when a LogShipper has no spec.sidecar.image (required
                            with --webhook-port)
  --sidecar-mode MODE       native (init container with restartPolicy Always, Kubernetes >= 1.29) or
                            container (a plain container, for older clusters); a pod's
                            logshipper.io/sidecar-mode annotation wins (default: native)
  --inject-strict BOOL      deny pods whose sidecar cannot be injected instead of admitting them
                            unchanged; a pod's logshipper.io/inject-strict annotation wins (default: false)
  --webhook-cert-secret NAME   Secret holding the webhook's CA and serving certificate, shared by all
                            replicas (default: logshipper-webhook-tls)
  --webhook-cert-namespace NS  its namespace (default: $POD_NAMESPACE, else the Lease namespace)
  --webhook-config NAME     MutatingWebhookConfiguration that gets the caBundle (default: logshipper)
  --webhook-service NAME    Service in front of the webhook: its DNS names go into the certificate
                            (default: logshipper-webhook)
  --sidecar-report-service NAME  Service in front of every replica's --metrics-port, in $POD_NAMESPACE:
                            injected sidecars report their delivery state to
                            http://NAME.<namespace>.svc:<port>/sidecar-reports (default: none, they do not)
  --sidecar-report-port PORT  that Service's port (default: --metrics-port)
  --webhook-extra-sans LIST more DNS names or IP addresses for the certificate, comma-separated
  --webhook-cert-dir DIR    read tls.crt and tls.key from DIR (cert-manager) instead: no Secret, no
                            caBundle patching
  --webhook-cert-check-interval DUR  how often the certificate is checked for rotation and reload
                            (default: 60s)

Durations: a number with ms, s or m (e.g. 500ms, 15s, 5m). Exit codes: 0 stopped by SIGTERM/SIGINT,
1 lost the leader Lease or failed, 2 usage error.`;

export class UsageError extends Error {}

export function duration(flag: string, text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (match === null) throw new UsageError(`${flag}: invalid value "${text}": a duration such as 500ms, 15s or 5m is allowed`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : match[2] === 'm' ? 60_000 : 1);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${flag}: invalid value "${text}": an integer ${min}..${max} is allowed`);
  return value;
}

/** A comma-separated list, each entry checked by `problem`. */
function entries(flag: string, text: string, problem: (entry: string) => string | undefined): string[] {
  const list = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of list) {
    const why = problem(entry);
    if (why !== undefined) throw new UsageError(`${flag}: invalid entry "${entry}": ${why}`);
  }
  return list;
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
  webhookPort: number | undefined;
  webhookHost: string;
  sidecarImage: string | undefined;
  sidecarMode: SidecarMode;
  injectStrict: boolean;
  certSecret: string;
  certNamespace: string | undefined;
  webhookConfig: string;
  webhookService: string;
  reportService: string | undefined;
  reportPort: number | undefined;
  extraSans: string[];
  certDir: string | undefined;
  certCheckIntervalMs: number;
  allowedSidecarImages: string[];
  allowedBrokers: string[];
}

function bool(flag: string, args: string[], i: number, value: string | undefined): { value: boolean; i: number } {
  // `--flag` alone means true; `--flag false` / `--flag=false` turn it off.
  let index = i;
  const following = value ?? (args[index + 1] === 'true' || args[index + 1] === 'false' ? args[++index] : 'true');
  if (following !== 'true' && following !== 'false') throw new UsageError(`${flag}: invalid value "${following ?? ''}": true or false is allowed`);
  return { value: following === 'true', i: index };
}

export function parseOperatorArgs(args: string[]): Flags | 'help' {
  const flags: Flags = {
    namespace: undefined, leaderElect: true, leaseNamespace: undefined, leaseName: 'logshipper-operator',
    ...DEFAULT_LEASE_TIMINGS, identity: defaultIdentity(), port: 8080, host: '0.0.0.0', workers: 2, logLevel: undefined,
    webhookPort: undefined, webhookHost: '0.0.0.0', sidecarImage: undefined, sidecarMode: 'native', injectStrict: false,
    certSecret: 'logshipper-webhook-tls', certNamespace: undefined, webhookConfig: 'logshipper', webhookService: 'logshipper-webhook', reportService: undefined, reportPort: undefined,
    extraSans: [], certDir: undefined, certCheckIntervalMs: 60_000, allowedSidecarImages: [], allowedBrokers: [],
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
      case '--leader-elect': ({ value: flags.leaderElect, i } = bool(arg, args, i, value)); break;
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
      case '--webhook-port': {
        const port = next();
        flags.webhookPort = port === 'off' ? undefined : integer(arg, port, 0, 65_535);
        break;
      }
      case '--webhook-bind-address': flags.webhookHost = next(); break;
      case '--sidecar-image': {
        const image = next();
        if (!/^\S+$/.test(image)) throw new UsageError(`--sidecar-image: invalid value "${image}": an image reference is allowed`);
        flags.sidecarImage = image;
        break;
      }
      case '--sidecar-mode': {
        const mode = next();
        if (mode !== 'native' && mode !== 'container') throw new UsageError(`--sidecar-mode: invalid value "${mode}": native or container is allowed`);
        flags.sidecarMode = mode;
        break;
      }
      case '--inject-strict': ({ value: flags.injectStrict, i } = bool(arg, args, i, value)); break;
      case '--webhook-cert-secret': flags.certSecret = next(); break;
      case '--webhook-cert-namespace': flags.certNamespace = next(); break;
      case '--webhook-config': flags.webhookConfig = next(); break;
      case '--webhook-service': flags.webhookService = next(); break;
      case '--sidecar-report-service': {
        const service = next();
        if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(service) || service.length > 63) throw new UsageError(`--sidecar-report-service: invalid value "${service}": a Service name (DNS label) is allowed`);
        flags.reportService = service;
        break;
      }
      case '--sidecar-report-port': flags.reportPort = integer(arg, next(), 1, 65_535); break;
      case '--webhook-extra-sans': {
        flags.extraSans = next().split(',').map((san) => san.trim()).filter((san) => san !== '');
        const bad = flags.extraSans.find((san) => isIP(san) === 0 && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(san));
        if (bad !== undefined) throw new UsageError(`--webhook-extra-sans: invalid value "${bad}": DNS names or IP addresses are allowed`);
        break;
      }
      case '--allowed-sidecar-images': flags.allowedSidecarImages = entries(arg, next(), imageEntryProblem); break;
      case '--allowed-brokers': flags.allowedBrokers = entries(arg, next(), brokerEntryProblem); break;
      case '--webhook-cert-dir': flags.certDir = next(); break;
      case '--webhook-cert-check-interval': flags.certCheckIntervalMs = duration(arg, next()); break;
      default: throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (flags.webhookPort !== undefined && flags.sidecarImage === undefined) {
    throw new UsageError('--sidecar-image is required with --webhook-port (the image the injected sidecar runs when a LogShipper names none)');
  }
  if (flags.reportService !== undefined && (flags.reportPort ?? flags.port) === 0) {
    throw new UsageError('--sidecar-report-service needs --sidecar-report-port (the Service\'s port) when --metrics-port is 0');
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
  const certNamespace = flags.certNamespace ?? process.env['POD_NAMESPACE'] ?? leaseNamespace;
  const policy = { sidecarImages: flags.allowedSidecarImages, brokers: flags.allowedBrokers };
  const webhook: WebhookOptions | undefined = flags.webhookPort === undefined || flags.sidecarImage === undefined ? undefined : {
    host: flags.webhookHost,
    port: flags.webhookPort,
    certificates: flags.certDir === undefined
      ? { kind: 'secret', namespace: certNamespace, secretName: flags.certSecret, webhookConfigName: flags.webhookConfig, names: servingNames(flags.webhookService, certNamespace, flags.extraSans) }
      : { kind: 'directory', dir: flags.certDir },
    checkIntervalMs: flags.certCheckIntervalMs,
    inject: {
      defaultImage: flags.sidecarImage, defaultMode: flags.sidecarMode, policy,
      healthReportUrl: flags.reportService === undefined ? undefined : healthReportUrl(flags.reportService, process.env['POD_NAMESPACE'] ?? leaseNamespace, flags.reportPort ?? flags.port),
    },
    strict: flags.injectStrict,
  };
  const operator = new Operator({
    kubeConfig,
    namespace: flags.namespace,
    leaderElection: flags.leaderElect
      ? { namespace: leaseNamespace, name: flags.leaseName, leaseDurationMs: flags.leaseDurationMs, renewDeadlineMs: flags.renewDeadlineMs, retryPeriodMs: flags.retryPeriodMs }
      : undefined,
    identity: flags.identity,
    http: { host: flags.host, port: flags.port },
    workers: flags.workers,
    webhook,
    policy,
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
