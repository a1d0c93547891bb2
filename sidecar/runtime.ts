import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import { Agent } from './agent.ts';
import { loadAgentConfig, type AgentConfig } from './config/agent-config.ts';
import { ConfigError } from './config/errors.ts';
import { ConfigWatcher, contentHash } from './config/watch.ts';
import { Deadline } from './deadline.ts';
import { CounterStore } from './counters.ts';
import { deliveryState } from './delivery.ts';
import { HealthReporter, podIdentityFromEnv } from './health-report.ts';
import { startHttpServer } from './http.ts';
import { monotonicMs } from './clock.ts';
import { createMetrics, type ReloadState } from './metrics.ts';
import type { Logger } from './log.ts';

export interface RuntimeOptions {
  file: string;
  name: string;
  drainMs: number;
  /** On a stop, read on while files still grow until they have been quiet this long (ms, within drainMs). */
  drainQuietMs: number;
  /** undefined: no HTTP endpoints. */
  http: { host: string; port: number } | undefined;
  readyBackoffLimitMs: number;
  /** Where the delivery state is reported (sidecar/health-report.ts); undefined: not reported. */
  healthReportUrl?: string | undefined;
  reload: boolean;
}

/** Why the agent stops, and the deadline of its stop. */
interface Ending {
  reason: string;
  failed: boolean;
  deadline: Deadline;
}

/**
 * The configuration at start: loaded, or (the file missing from a directory that exists: an
 * `optional` ConfigMap volume whose ConfigMap is gone) an agent without components that waits for
 * the file. A directory that does not exist either is a mistyped --conf-file: an error.
 */
function initialConfig(options: RuntimeOptions): { config: AgentConfig; waiting: boolean } {
  if (!existsSync(options.file) && existsSync(dirname(options.file))) {
    return { config: { file: options.file, agent: options.name, sources: [], channels: [], sinks: [], warnings: [] }, waiting: true };
  }
  return { config: loadAgentConfig(options.file, options.name), waiting: false };
}

/**
 * The agent process: loads the configuration, runs the agent with its HTTP endpoints,
 * reloads on file change or SIGHUP, and drains on SIGTERM/SIGINT, POST /stop, or when every source finished.
 * Resolves with the exit code.
 */
export async function runAgent(options: RuntimeOptions, log: Logger): Promise<number> {
  let config;
  let waiting;
  try {
    ({ config, waiting } = initialConfig(options));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`logshipper: configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  for (const warning of config.warnings) log.warn({ file: warning.file, line: warning.line, key: warning.key }, warning.message);

  const reloads: ReloadState = {
    loadedAt: new Date(), configHash: contentHash(options.file), successes: 0, failures: 0, lastError: undefined, file: waiting ? 'waiting' : 'loaded',
  };
  // The metrics read the agent at scrape time; the agent's sinks record latency into the metrics.
  const metrics = createMetrics(() => running, reloads);
  const running = new Agent(config, log, new CounterStore(metrics.latencyFor));

  // Caught from before the start: a signal while the agent starts (a pod deleted at once) stops it
  // once it is up, draining, instead of killing it before it read anything.
  const stop = Promise.withResolvers<Ending>();
  let requested = false;
  const requestStop = (reason: string): void => {
    if (requested) return;
    requested = true;
    // The one deadline of the whole stop, from the moment it was asked for.
    stop.resolve({ reason, failed: false, deadline: Deadline.after(options.drainMs) });
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = true;
    requestStop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let server: Server | undefined;
  if (options.http !== undefined) {
    try {
      server = await startHttpServer(() => running, metrics.registry, reloads, { ...options.http, readyBackoffLimitMs: options.readyBackoffLimitMs, stop: requestStop }, log.child({ component: 'http' }));
    } catch (error) {
      console.error(`logshipper: cannot serve HTTP on ${options.http.host}:${options.http.port} (${(error as Error).message}): choose another --http-port, or off`);
      return 2;
    }
  }
  if (waiting) log.warn({ file: options.file, agent: options.name }, 'configuration file does not exist: waiting for it (/readyz 503 until it appears and loads)');
  await running.start();
  const reporter = healthReporter(options, () => running, log);

  // Reloads run one at a time, and never once stopping began. A reload in progress at a signal
  // ends by its own deadline, which is before the stop's (computed at the signal): the two take
  // no longer than one deadline.
  let stopping = false;
  let reloading: Promise<void> = Promise.resolve();
  const reload = (trigger: string): void => {
    reloading = reloading.then(async () => {
      if (stopping) return;
      const hash = contentHash(options.file);
      let next;
      try {
        next = loadAgentConfig(options.file, options.name);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        reloads.failures++;
        reloads.lastError = error.message;
        log.error({ trigger, error: error.message }, 'new configuration refused; the running one stays');
        return;
      }
      for (const warning of next.warnings) log.warn({ file: warning.file, line: warning.line, key: warning.key }, warning.message);
      log.info({ trigger }, 'reloading configuration');
      const deadline = Deadline.after(options.drainMs);
      let summary;
      try {
        summary = await running.reload(next, deadline);
      } finally {
        deadline.dispose();
      }
      watcher?.seen(hash);
      reloads.successes++;
      reloads.lastError = undefined;
      reloads.loadedAt = new Date();
      reloads.configHash = hash;
      const first = reloads.file === 'waiting';
      reloads.file = 'loaded';
      log.info({ trigger, ...summary }, first ? 'configuration file appeared: pipeline started' : 'configuration reloaded');
    }).catch((error: unknown) => {
      reloads.failures++;
      reloads.lastError = String(error);
      log.error({ trigger, err: error }, 'reload failed');
    });
  };
  const watcher = options.reload ? new ConfigWatcher(options.file, () => {
    reload('file changed');
  }, undefined, (present) => {
    // Gone: the last configuration keeps running (a deleted ConfigMap must not stop shipping). Back
    // with other content: a reload (onChange); with the same: nothing to do.
    if (!present && reloads.file === 'loaded') {
      reloads.file = 'gone';
      log.warn({ file: options.file }, 'configuration file removed: the running configuration stays until a new file appears');
    } else if (present && reloads.file === 'gone') {
      reloads.file = 'loaded';
      log.info({ file: options.file }, 'configuration file is back');
    }
  }) : undefined;
  const onHangup = (): void => {
    reload('SIGHUP');
  };
  process.on('SIGHUP', onHangup);

  const finished = running.sourcesFinished().then((outcome): Ending => {
    const failed = outcome === 'failed';
    return { reason: failed ? 'all sources finished, some with a failure' : 'all sources finished', failed, deadline: Deadline.after(options.drainMs) };
  });
  const ending = await Promise.race([stop.promise, finished]);
  const { deadline } = ending;
  stopping = true;
  watcher?.close();
  process.off('SIGHUP', onHangup);
  await reloading;
  log.info({ reason: ending.reason, drainTimeoutMs: options.drainMs, drainQuietPeriodMs: options.drainQuietMs, remainingMs: deadline.remaining() },
    'stopping: reading the sources to their end and draining channels into sinks');
  reporter?.stop();
  const report = await running.stop(deadline, { quietMs: options.drainQuietMs });
  deadline.dispose();
  server?.close();
  return report.undelivered === 0 && report.files.length === 0 && !ending.failed ? 0 : 1;
}

/** The started delivery reporter of --health-report-url, or undefined (no URL, or not in an injected pod). */
function healthReporter(options: RuntimeOptions, agent: () => Agent, log: Logger): HealthReporter | undefined {
  const url = options.healthReportUrl;
  if (url === undefined) return undefined;
  const identity = podIdentityFromEnv(process.env);
  if (identity === undefined) {
    log.warn({ url }, '--health-report-url: POD_NAMESPACE, POD_NAME or POD_UID is not set (the injector sets them from the downward API): delivery state not reported');
    return undefined;
  }
  const reporter = new HealthReporter({
    url, identity, log: log.child({ component: 'health-report' }),
    state: () => deliveryState(agent().sinks, monotonicMs(), options.readyBackoffLimitMs),
  });
  reporter.start();
  return reporter;
}
