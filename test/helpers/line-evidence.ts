// When a pod's lines are missing or doubled in Kafka: which ones, where they were in the app's file,
// and what the topic holds around them, so that one failed run says what happened. The app's file
// is kept by a hard link taken while the pod ran (the kubelet deletes the emptyDir with the pod);
// the sidecar's log is followed until its container exits.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumedRecord } from './kafka.ts';
import { expectedLines, strayLines } from './app-workload.ts';
import { requireEnv } from './env.ts';

/** Where a failed run's evidence is kept (outside the tree). */
export const EVIDENCE_DIR = '/tmp/logshipper-e2e-evidence';

/** What is shown of each kind of finding: enough to see a pattern, never a flood. */
const SHOWN = 10;

/** The host path of a pod's emptyDir file on the test env's node (same filesystem as EVIDENCE_DIR). */
function volumeFile(podUid: string, volume: string, file: string): string {
  return path.join(requireEnv('LOGSHIPPER_TESTENV'), 'node', 'kubelet', 'root', 'pods', podUid, 'volumes', 'kubernetes.io~empty-dir', volume, file);
}

export interface PodEvidence {
  /** The app's log file, hard-linked: it outlives the pod. */
  file: string;
  /** The sidecar's log, as `kubectl logs -f` printed it. */
  sidecarLog: string;
  /** Resolves once the follower printed the log so far (up to 10 s): the pod may be deleted then. */
  following: Promise<void>;
  /** Ends the log follower (once the pod is gone it ends by itself). */
  stop: () => void;
  /** Removes what was kept: the pod's lines were all accounted for. */
  discard: () => void;
}

/** Keeps a pod's app file and follows its sidecar's log, before the pod is deleted. */
export function keepPodEvidence(namespace: string, pod: string, podUid: string, volume: string, file: string, sidecar: string): PodEvidence {
  fs.mkdirSync(EVIDENCE_DIR, { recursive: true });
  const kept = path.join(EVIDENCE_DIR, `${pod}.${file}`);
  fs.rmSync(kept, { force: true });
  fs.linkSync(volumeFile(podUid, volume, file), kept);
  const sidecarLog = path.join(EVIDENCE_DIR, `${pod}.${sidecar}.log`);
  const out = fs.openSync(sidecarLog, 'w');
  const follower: ChildProcess = spawn(requireEnv('KUBECTL'), ['logs', '-f', '-n', namespace, pod, '-c', sidecar], { stdio: ['ignore', out, out] });
  follower.on('exit', () => { fs.closeSync(out); });
  const following = (async (): Promise<void> => {
    for (let waited = 0; waited < 10_000 && fs.statSync(sidecarLog).size === 0 && follower.exitCode === null; waited += 100) await sleep(100);
  })();
  const stop = (): void => {
    if (follower.exitCode === null) follower.kill();
  };
  const discard = (): void => {
    stop();
    fs.rmSync(kept, { force: true });
    fs.rmSync(sidecarLog, { force: true });
  };
  return { file: kept, sidecarLog, following, stop, discard };
}

interface Located {
  line: string;
  /** Byte offset of the line in the app's file, -1 if the file does not hold it. */
  offset: number;
}

function locate(content: Buffer, lines: string[]): Located[] {
  const wanted = new Map(lines.map((l) => [l, -1]));
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(10, start);
    if (end === -1) end = content.length;
    const line = content.toString('utf8', start, end);
    if (wanted.get(line) === -1) wanted.set(line, start);
    start = end + 1;
  }
  return lines.map((line) => ({ line, offset: wanted.get(line) ?? -1 }));
}

function describeRecord(r: ConsumedRecord | undefined): string {
  return r === undefined ? 'none' : `p${String(r.partition)}@${String(r.offset)} ${JSON.stringify(r.value)}`;
}

/**
 * A short account of what went wrong with `pod`'s lines: the missing and the extra ones (first
 * SHOWN each), each missing line's offset in the kept file and the records around where it
 * belongs, and the records that are no whole line of any of `pods` (pieces of lines).
 */
export function explainLines(pod: string, pods: ReadonlySet<string>, records: readonly ConsumedRecord[], lastWords: number, evidence: PodEvidence | undefined): string {
  const own = records.filter((r) => r.value.startsWith(`${pod} `));
  const expected = expectedLines(pod, own.map((r) => r.value), lastWords).expected ?? [];
  const counts = new Map<string, number>();
  for (const line of expected) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const r of own) counts.set(r.value, (counts.get(r.value) ?? 0) - 1);
  const missing = [...counts].filter(([, n]) => n > 0).map(([l]) => l);
  const extra = [...counts].filter(([, n]) => n < 0).map(([l, n]) => `${JSON.stringify(l)} x${String(-n)}`);
  const report = [`${pod}: ${String(missing.length)} distinct lines missing, ${String(extra.length)} extra; evidence in ${EVIDENCE_DIR}`];
  const content = evidence !== undefined && fs.existsSync(evidence.file) ? fs.readFileSync(evidence.file) : undefined;
  if (content !== undefined) report.push(`  the app's file: ${String(content.length)} bytes, ends with a newline: ${String(content.at(-1) === 10)}`);
  const located = content === undefined ? missing.map((line) => ({ line, offset: -1 })) : locate(content, missing.slice(0, SHOWN));
  for (const { line, offset } of located.slice(0, SHOWN)) {
    const k = Number(line.split(' ')[1]);
    const before = own.filter((r) => Number(r.value.split(' ')[1]) === k - 1)[0];
    const after = own.filter((r) => Number(r.value.split(' ')[1]) === k + 1)[0];
    const raw = content !== undefined && offset >= 0 ? JSON.stringify(content.toString('latin1', offset, Math.min(content.length, offset + line.length + 1))) : 'n/a';
    report.push(`  missing ${JSON.stringify(line)}: file offset ${String(offset)} (mod 4096: ${String(offset >= 0 ? offset % 4096 : -1)}, bytes ${raw}); before it ${describeRecord(before)}, after it ${describeRecord(after)}`);
  }
  for (const e of extra.slice(0, SHOWN)) report.push(`  extra ${e}`);
  const stray = new Set(strayLines(pods, records.map((r) => r.value)));
  const strangers = records.filter((r) => stray.has(r.value));
  report.push(`  records that are no whole line of any pod: ${String(strangers.length)}`);
  for (const r of strangers.slice(0, SHOWN)) report.push(`    ${describeRecord(r)} headers ${JSON.stringify(r.headers)}`);
  if (evidence !== undefined && fs.existsSync(evidence.sidecarLog)) {
    const log = fs.readFileSync(evidence.sidecarLog, 'utf8').split('\n');
    const notable = log.filter((l) => /"level":(40|50|60)|stop|drain|partial|stopped/i.test(l));
    report.push(`  sidecar log: ${String(log.length)} lines; warnings/errors and the stop:`);
    for (const l of notable.slice(-SHOWN)) report.push(`    ${l.slice(0, 600)}`);
  }
  return report.join('\n');
}
