/**
 * The `json` record format: one JSON object per record, so that a consumer without Kafka headers
 * (Kafka Connect's JsonConverter, ksqlDB's JSON format) has the line and where it came from:
 *
 *   {"timestamp":"2026-12-02T03:53:11.123Z","file":"app/app.log",
 *    "kubernetes":{"pod_namespace":"shop","pod_name":"web-0",...,"pod_labels":{"app":"web"}},
 *    "headers":{"env":"prod"},"message":"the line"}
 *
 * The pod facts take Vector's kubernetes_logs names (a nested `kubernetes` object of snake_case
 * fields, as Fluent Bit's kubernetes filter too): SQL engines read nested snake_case fields
 * without quoting, where OpenTelemetry's dotted `k8s.pod.name` needs backquotes in ksqlDB.
 *
 * Per record only the timestamp and the message are encoded: the rest (file, pod facts, headers)
 * is kept encoded while consecutive events carry the same headers, and a read's events share
 * their timestamp. The message is V8's JSON.stringify of the decoded line, which measured faster
 * than a hand-written byte escaper (bench/record-format.ts).
 */
import { isUtf8 } from 'node:buffer';
import { sameHeaders } from '../event.ts';

/**
 * Header names (after a prefix, `k8s.` by default) of the pod facts the operator sets on every
 * event, and the `kubernetes` field each becomes. The operator renders its enrichment headers
 * from this table, so the two never disagree.
 */
export const POD_FACT_HEADERS = {
  podNamespace: { header: 'pod.namespace', field: 'pod_namespace' },
  podName: { header: 'pod.name', field: 'pod_name' },
  podUID: { header: 'pod.uid', field: 'pod_uid' },
  container: { header: 'container.name', field: 'container_name' },
  nodeName: { header: 'node.name', field: 'pod_node_name' },
} as const;
/** Pod label `<key>` is header `<prefix>pod.label.<key>`, field `kubernetes.pod_labels.<key>`. */
export const POD_LABEL_HEADER = 'pod.label.';
/** The operator's header for the file path (after the prefix). */
export const FILE_PATH_HEADER = 'file.path';

export interface JsonEnvelopeConfig {
  /** Headers `<prefix><pod fact>` become `kubernetes.*` fields. */
  podHeaderPrefix: string;
  /** The header holding the file path (TAILDIR's fileHeaderKey). */
  fileHeader: string;
  /** When set, a path under this directory is given relative to it (the log volume's mount in the sidecar). */
  fileRoot: string | undefined;
}

const POD_FIELD_OF_SUFFIX = new Map<string, string>(Object.values(POD_FACT_HEADERS).map(({ header, field }) => [header, field]));

export class JsonEnvelope {
  private readonly config: JsonEnvelopeConfig;
  /** The encoded middle part for `lastHeaders`' values (see middleFor). */
  private lastHeaders: Record<string, string> | undefined;
  private lastMiddle = '';
  private lastTimestamp: number | undefined;
  private lastTimestampJson = '';

  constructor(config: JsonEnvelopeConfig) {
    this.config = config;
  }

  /**
   * The record value for a line (`payload`: its bytes, UTF-8 unless invalid) read at `timestamp`
   * with `headers`. Invalid UTF-8 sequences become U+FFFD (the WHATWG decoder's replacement, one
   * per maximal invalid subpart, as TextDecoder does); `invalid` is told so, once per record.
   */
  encode(headers: Record<string, string>, timestamp: number, payload: Buffer, invalid?: () => void): Buffer {
    const text = payload.toString('utf8');
    // A U+FFFD is either in the line or made by the decoder: only then is the line checked.
    if (invalid !== undefined && text.includes('\uFFFD') && !isUtf8(payload)) invalid();
    return Buffer.from(`${this.timestampJson(timestamp)}${this.middleFor(headers)}"message":${JSON.stringify(text)}}`, 'utf8');
  }

  /** `{"timestamp":"<ISO 8601 UTC, ms>",` (events of one read share a timestamp: kept). */
  private timestampJson(timestamp: number): string {
    if (timestamp !== this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      this.lastTimestampJson = `{"timestamp":"${new Date(timestamp).toISOString()}",`;
    }
    return this.lastTimestampJson;
  }

  /** `"file":...,"kubernetes":{...},"headers":{...},` for these headers, encoded again only when their values change. */
  private middleFor(headers: Record<string, string>): string {
    if (this.lastHeaders !== undefined && sameHeaders(this.lastHeaders, headers)) return this.lastMiddle;
    this.lastHeaders = { ...headers };
    this.lastMiddle = this.middle(headers);
    return this.lastMiddle;
  }
  private middle(headers: Record<string, string>): string {
    const { podHeaderPrefix: prefix, fileHeader } = this.config;
    const kubernetes: string[] = [];
    const labels: string[] = [];
    const others: string[] = [];
    let file: string | undefined;
    for (const name of Object.keys(headers).sort()) {
      const value = headers[name] ?? '';
      if (name === fileHeader) {
        file = value;
        continue;
      }
      if (name.startsWith(prefix)) {
        const suffix = name.slice(prefix.length);
        const field = POD_FIELD_OF_SUFFIX.get(suffix);
        if (field !== undefined) {
          kubernetes.push(`${JSON.stringify(field)}:${JSON.stringify(value)}`);
          continue;
        }
        if (suffix.startsWith(POD_LABEL_HEADER)) {
          labels.push(`${JSON.stringify(suffix.slice(POD_LABEL_HEADER.length))}:${JSON.stringify(value)}`);
          continue;
        }
      }
      others.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
    }
    if (labels.length > 0) kubernetes.push(`"pod_labels":{${labels.join(',')}}`);
    let middle = file === undefined ? '' : `"file":${JSON.stringify(this.relative(file))},`;
    if (kubernetes.length > 0) middle += `"kubernetes":{${kubernetes.join(',')}},`;
    if (others.length > 0) middle += `"headers":{${others.join(',')}},`;
    return middle;
  }

  private relative(path: string): string {
    const root = this.config.fileRoot;
    if (root === undefined) return path;
    const base = root.endsWith('/') ? root : `${root}/`;
    return path.startsWith(base) ? path.slice(base.length) : path;
  }
}
