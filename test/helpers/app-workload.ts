// The application of the end-to-end tests: a busybox shell script in the test cluster's busybox
// image that writes numbered lines to its log file on the shared volume, as a real app would,
// and whose every line can be accounted for afterwards from Kafka alone:
//
//   <pod> start sidecar-ready|sidecar-not-ready   first line: could it reach the sidecar's /readyz?
//   <pod> 1 ... <pod> k                          RATE lines a second while running (or, for a
//                                                batch app such as a Job's, COUNT lines at once,
//                                                then `<pod> end COUNT` and exit 0)
//   <pod> k+1 last ... <pod> n last              on SIGTERM: as many lines as the file last-words
//                                                on the volume says (default LAST), then
//   <pod> end n                                  and exit 0
//
// So the lines a pod wrote are known exactly once its `end` line is read (expectedLines).
import type { V1Container, V1Deployment, V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import { INJECT_ANNOTATION, INJECT_LABEL } from '../../operator/inject.ts';
import { DEFAULT_HTTP_PORT } from '../../sidecar/http.ts';
import { multisetDiff } from './multiset.ts';

export const APP_IMAGE = 'logshipper.test/busybox:1';
export const APP_CONTAINER = 'app';
export const APP_LOG_DIR = '/var/log/app';
export const APP_LOG_FILE = 'app.log';
/** Lines written on SIGTERM unless the file last-words on the log volume says otherwise. */
export const DEFAULT_LAST_WORDS = 100;

const SCRIPT = `
log=${APP_LOG_DIR}/${APP_LOG_FILE}
n=0
if wget -q -O /dev/null "$READYZ"; then echo "$POD_NAME start sidecar-ready" >> $log; else echo "$POD_NAME start sidecar-not-ready" >> $log; fi
if [ -n "$COUNT" ]; then
  while [ $n -lt $COUNT ]; do n=$((n+1)); echo "$POD_NAME $n"; done >> $log
  echo "$POD_NAME end $n" >> $log
  # A container-mode sidecar is not stopped by the kubelet when the app is done: ask it to stop
  # (it starts beside the app, so it may not listen yet).
  if [ -n "$STOP_URL" ]; then
    tries=0
    until wget -q -O /dev/null --post-data= "$STOP_URL"; do tries=$((tries+1)); [ $tries -ge 120 ] && exit 1; sleep 0.5; done
  fi
  exit 0
fi
term() {
  last=$LAST
  [ -f ${APP_LOG_DIR}/last-words ] && last=$(cat ${APP_LOG_DIR}/last-words)
  i=0
  while [ $i -lt $last ]; do n=$((n+1)); echo "$POD_NAME $n last"; i=$((i+1)); done >> $log
  echo "$POD_NAME end $n" >> $log
  exit 0
}
trap term TERM
per_tick=$((RATE/10))
while :; do
  i=0
  while [ $i -lt $per_tick ]; do n=$((n+1)); echo "$POD_NAME $n"; i=$((i+1)); done >> $log
  # In the background, so that SIGTERM runs the trap at once instead of after the sleep.
  sleep 0.1 & wait $!
done
`;

export interface AppOptions {
  /** Lines per second while running (a multiple of 10). */
  rate: number;
  /** A batch app: writes this many lines at once, then its end line, and exits 0. */
  count?: number;
  /** The batch app ends by POSTing the sidecar's /stop (what a `container`-mode Job must do). */
  stopSidecar?: boolean;
  /** Lines written on SIGTERM. */
  lastWords?: number;
  /** The sidecar's HTTP port in the pod (the injector's default unless the pod says otherwise). */
  sidecarPort?: number;
}

export function appContainer(options: AppOptions): V1Container {
  return {
    name: APP_CONTAINER,
    image: APP_IMAGE,
    imagePullPolicy: 'Never',
    command: ['sh', '-c', SCRIPT],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'RATE', value: String(options.rate) },
      { name: 'LAST', value: String(options.lastWords ?? DEFAULT_LAST_WORDS) },
      ...(options.count === undefined ? [] : [{ name: 'COUNT', value: String(options.count) }]),
      { name: 'READYZ', value: `http://127.0.0.1:${String(options.sidecarPort ?? DEFAULT_HTTP_PORT)}/readyz` },
      ...(options.stopSidecar === true ? [{ name: 'STOP_URL', value: `http://127.0.0.1:${String(options.sidecarPort ?? DEFAULT_HTTP_PORT)}/stop` }] : []),
    ],
    volumeMounts: [{ name: 'logs', mountPath: APP_LOG_DIR }],
    resources: { requests: { cpu: '10m', memory: '8Mi' }, limits: { memory: '32Mi' } },
  };
}

/** A pod spec with the app and its log volume (an emptyDir shared with the injected sidecar). */
export function appPodSpec(options: AppOptions, extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return { containers: [appContainer(options)], volumes: [{ name: 'logs', emptyDir: {} }], terminationGracePeriodSeconds: 30, ...extra };
}

/** Pod metadata that asks for `logShipper`'s sidecar: the opt-in label the webhook selects on and the annotation naming it, plus `annotations` (overrides). */
export function injectMetadata(logShipper: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): V1ObjectMeta {
  return { labels: { ...labels, [INJECT_LABEL.key]: INJECT_LABEL.value }, annotations: { [INJECT_ANNOTATION]: logShipper, ...annotations } };
}

/** A Deployment of the app whose pods ask for `logShipper`'s sidecar. */
export function appDeployment(name: string, namespace: string, logShipper: string, replicas: number, options: AppOptions): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: injectMetadata(logShipper, {}, labels), spec: appPodSpec(options) },
    },
  };
}

export interface PodLines {
  /** What the pod wrote, in order; undefined while its `end` line has not been read. */
  expected: string[] | undefined;
  /** The highest line number seen, to say how far a pod without an `end` line got. */
  highest: number;
  /** Whether the first line said the sidecar was ready when the app started. */
  startedAfterSidecar: boolean | undefined;
}

/** The lines `pod` wrote, reconstructed from its lines as read (in any order, from any topics). */
export function expectedLines(pod: string, seen: readonly string[], lastWords: number): PodLines {
  let end: number | undefined;
  let highest = 0;
  let startedAfterSidecar: boolean | undefined;
  for (const line of seen) {
    const [who, what] = line.split(' ');
    if (who !== pod) continue;
    if (what === 'start') startedAfterSidecar = line.endsWith('sidecar-ready');
    else if (what === 'end') end = Number(line.split(' ')[2]);
    else highest = Math.max(highest, Number(what));
  }
  if (end === undefined) return { expected: undefined, highest, startedAfterSidecar };
  const lines = [`${pod} start ${startedAfterSidecar === true ? 'sidecar-ready' : 'sidecar-not-ready'}`];
  for (let k = 1; k <= end; k++) lines.push(k > end - lastWords ? `${pod} ${String(k)} last` : `${pod} ${String(k)}`);
  lines.push(`${pod} end ${String(end)}`);
  return { expected: lines, highest, startedAfterSidecar };
}

/** The grammar of the app's lines (see the top of this file): the pod's name, then what the line says. */
const APP_LINE = /^(\S+) (start sidecar-(not-)?ready|end \d+|\d+( last)?)$/;

/**
 * The values in `seen` that are no whole line of any of `pods`: pieces of a line cut in two, which
 * assertAllShippedOnce cannot count as extra (a piece that does not begin with the pod's name is
 * nobody's), and leave one line missing with 0 extra.
 */
export function strayLines(pods: ReadonlySet<string>, seen: readonly string[]): string[] {
  return seen.filter((value) => {
    const pod = APP_LINE.exec(value)?.[1];
    return pod === undefined || !pods.has(pod);
  });
}

/**
 * Checks that `seen` (values read from Kafka) holds every line `pod` wrote exactly once; returns
 * how many. Fails naming the pod when its end line is missing or lines are missing or doubled.
 */
export function assertAllShippedOnce(pod: string, seen: readonly string[], lastWords: number): number {
  const own = seen.filter((l) => l.startsWith(`${pod} `));
  const lines = expectedLines(pod, own, lastWords);
  if (lines.expected === undefined) throw new Error(`${pod}: its end line did not arrive (highest line seen: ${String(lines.highest)})`);
  const diff = multisetDiff(lines.expected, own);
  if (diff.missing !== 0 || diff.extra !== 0) throw new Error(`${pod}: of ${String(lines.expected.length)} lines written, ${String(diff.missing)} missing and ${String(diff.extra)} extra in Kafka`);
  return own.length;
}
