// The LogShipper custom resource as TypeScript sees it. The schema itself (validation, defaults,
// descriptions) lives in crds/logshipper.io_logshippers.yaml, the single source of truth; these
// types mirror it, and test/unit/operator/crd.test.ts checks that the two agree where it matters
// (defaults, enums, the extraProperties allow-list).
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { DEFAULT_MAX_LINE_BYTES } from '../sidecar/size-limits.ts';
import { DEFAULT_LINGER_MS } from '../sidecar/sinks/kafka-config.ts';

export const GROUP = 'logshipper.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LogShipper';
export const PLURAL = 'logshippers';

export const ACKS = ['All', 'Leader', 'None'] as const;
export type Acks = (typeof ACKS)[number];
export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
/**
 * How the client certificate Secret holds certificate and key: one PEM with both (`key`, e.g.
 * cert-manager's CombinedPEM output), or a kubernetes.io/tls Secret's two keys
 * (`certificateKey`, `privateKeyKey`).
 */
export const CLIENT_CERTIFICATE_FORMATS = ['CombinedPEM', 'KubernetesTLS'] as const;
export type ClientCertificateFormat = (typeof CLIENT_CERTIFICATE_FORMATS)[number];
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
/** Pod facts the sidecar knows from its environment (downward API / injector). */
export const POD_FIELDS = ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container'] as const;
export type PodField = (typeof POD_FIELDS)[number];
/** Enrichment fields: the pod facts plus the path of the file a line came from. */
export const ENRICHMENT_FIELDS = [...POD_FIELDS, 'FilePath'] as const;
export type EnrichmentField = (typeof ENRICHMENT_FIELDS)[number];
export const MULTILINE_MODES = ['Start', 'Continuation'] as const;
export type MultilineMode = (typeof MULTILINE_MODES)[number];
export const ENCODINGS = ['UTF-8', 'ISO-8859-1', 'UTF-16LE'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const LONG_LINE_POLICIES = ['Split', 'Truncate'] as const;
export type LongLinePolicy = (typeof LONG_LINE_POLICIES)[number];

/** A key of a Secret in the LogShipper's namespace. */
export interface SecretKeyRef {
  secretName: string;
  key?: string;
}

export interface FileSpec {
  /** Path or glob relative to the volume, e.g. `app/*.log`, `**\/*.log`. */
  path: string;
  /** Static Kafka headers for lines of these files. */
  headers?: Record<string, string>;
}

export interface KafkaKeySpec {
  field?: PodField;
  value?: string;
}

/** `key` is used with format CombinedPEM, `certificateKey` and `privateKeyKey` with KubernetesTLS. */
export interface ClientCertificateSpec extends SecretKeyRef {
  format?: ClientCertificateFormat;
  certificateKey?: string;
  privateKeyKey?: string;
}

export interface KafkaTlsSpec {
  ca?: SecretKeyRef;
  clientCertificate?: ClientCertificateSpec;
  verifyHostname?: boolean;
}

export interface KafkaSaslSpec {
  mechanism: SaslMechanism;
  secretName: string;
  usernameKey?: string;
  passwordKey?: string;
}

export interface KafkaSpec {
  brokers: string[];
  topic: string;
  key?: KafkaKeySpec;
  acks?: Acks;
  compression?: Compression;
  batchSize?: number;
  lingerMs?: number;
  tls?: KafkaTlsSpec;
  sasl?: KafkaSaslSpec;
}

export interface ChannelSpec {
  capacity?: number;
  byteCapacity?: number;
}

export interface MultilineSpec {
  mode: MultilineMode;
  pattern: string;
  maxLines?: number;
  maxBytes?: number;
  timeoutMs?: number;
}

export interface EnrichmentSpec {
  fields?: EnrichmentField[];
  labels?: string[];
  headerPrefix?: string;
}

export interface ResourceRequirements {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
}

export interface SidecarSpec {
  /** Only an image the cluster admin allows (operator/admin-policy.ts). */
  image?: string;
  resources?: ResourceRequirements;
  /** The agent's HTTP port (probes, /metrics); default DEFAULT_HTTP_PORT of sidecar/http.ts. */
  httpPort?: number;
}

export interface LogShipperSpec {
  volume: string;
  files: FileSpec[];
  encoding?: Encoding;
  maxLineBytes?: number;
  longLines?: LongLinePolicy;
  kafka: KafkaSpec;
  channel?: ChannelSpec;
  multiline?: MultilineSpec;
  enrichment?: EnrichmentSpec;
  sidecar?: SidecarSpec;
  extraProperties?: ExtraPropertySpec[];
}

/** One allow-listed agent setting (see operator/extra-properties.ts). */
export interface ExtraPropertySpec {
  name: string;
  value: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LogShipperStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  configHash?: string;
  configMapName?: string;
  /** Live pods carrying the sidecar for this LogShipper (counted by the leader from its pod cache). */
  injectedPods?: number;
  /** ...of which run the current configHash. */
  currentPods?: number;
  /** ...of which run an older configHash. */
  stalePods?: number;
  /** Live pods that ask for this LogShipper (logshipper.io/inject) and run without the sidecar: their logs are not shipped. */
  uninjectedPods?: number;
}

export interface LogShipper {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec: LogShipperSpec;
  status?: LogShipperStatus;
}

/** The spec with every schema default applied (what the apiserver stores; `render -f` applies them itself). */
export interface ResolvedSpec {
  volume: string;
  files: { path: string; headers: Record<string, string> }[];
  encoding: Encoding;
  maxLineBytes: number;
  longLines: LongLinePolicy;
  kafka: {
    brokers: string[];
    topic: string;
    key: KafkaKeySpec | undefined;
    acks: Acks;
    compression: Compression;
    batchSize: number;
    lingerMs: number;
    tls: { ca: Required<SecretKeyRef> | undefined; clientCertificate: Required<ClientCertificateSpec> | undefined; verifyHostname: boolean } | undefined;
    sasl: Required<KafkaSaslSpec> | undefined;
  };
  channel: { capacity: number; byteCapacity: number };
  multiline: Required<MultilineSpec> | undefined;
  enrichment: { fields: EnrichmentField[]; labels: string[]; headerPrefix: string };
  extraProperties: ExtraPropertySpec[];
}

/** spec.sidecar.httpPort's range: no privileged port (the sidecar runs as a non-root user). */
export const SIDECAR_HTTP_PORT_RANGE = { min: 1024, max: 65_535 } as const;

/** Schema defaults (the CRD's `default:` values; test/unit/operator/crd.test.ts keeps them equal). */
export const DEFAULTS = {
  encoding: 'UTF-8' as Encoding,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  longLines: 'Split' as LongLinePolicy,
  acks: 'All' as Acks,
  compression: 'none' as Compression,
  // 500, not Flume's 100: 2.3x the throughput for +18 MB peak RSS (bench, operator-defaults row).
  batchSize: 500,
  lingerMs: DEFAULT_LINGER_MS,
  verifyHostname: true,
  caKey: 'ca.crt',
  clientCertificateFormat: 'CombinedPEM' as ClientCertificateFormat,
  clientCertificateKey: 'tls-combined.pem',
  // A kubernetes.io/tls Secret's keys (its ca.crt can be spec.kafka.tls.ca, whose default key it is).
  certificateKey: 'tls.crt',
  privateKeyKey: 'tls.key',
  usernameKey: 'username',
  passwordKey: 'password',
  capacity: 10_000,
  byteCapacity: 67_108_864,
  multilineMaxLines: 500,
  multilineMaxBytes: DEFAULT_MAX_LINE_BYTES,
  multilineTimeoutMs: 1000,
  headerPrefix: 'k8s.',
} as const;
