// Generated from operator/schema/logshipper.ts by `npm run generate`: do not edit. The LogShipper custom resource as
// TypeScript sees it: its names, enums, the types of a spec as written and as resolveSpec
// returns it (defaults applied), and the schema defaults.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const GROUP = 'logshipper.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LogShipper';
export const PLURAL = 'logshippers';

export const ENCODINGS = ['UTF-8', 'ISO-8859-1', 'UTF-16LE'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const LONG_LINE_POLICIES = ['Split', 'Truncate'] as const;
export type LongLinePolicy = (typeof LONG_LINE_POLICIES)[number];
/** Pod facts the sidecar knows from its environment (downward API / injector). */
export const POD_FIELDS = ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container'] as const;
export type PodField = (typeof POD_FIELDS)[number];
export const ACKS = ['All', 'Leader', 'None'] as const;
export type Acks = (typeof ACKS)[number];
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const KAFKA_FORMATS = ['Raw', 'Json', 'FlumeEvent'] as const;
export type KafkaFormat = (typeof KAFKA_FORMATS)[number];
export const LINE_TIMESTAMP_FORMATS = ['Iso8601', 'EpochSeconds', 'EpochMillis', 'CommonLog'] as const;
export type LineTimestampFormat = (typeof LINE_TIMESTAMP_FORMATS)[number];
/** How the client certificate Secret holds certificate and key: one PEM with both (key), or a kubernetes.io/tls Secret's tls.crt and tls.key (certificateKey, privateKeyKey). */
export const CLIENT_CERTIFICATE_FORMATS = ['CombinedPEM', 'KubernetesTLS'] as const;
export type ClientCertificateFormat = (typeof CLIENT_CERTIFICATE_FORMATS)[number];
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export const MULTILINE_MODES = ['Start', 'Continuation'] as const;
export type MultilineMode = (typeof MULTILINE_MODES)[number];
/** Enrichment fields: the pod facts plus the path of the file a line came from. */
export const ENRICHMENT_FIELDS = ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container', 'FilePath'] as const;
export type EnrichmentField = (typeof ENRICHMENT_FIELDS)[number];
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** LogShipper ships log files from a volume of annotated pods into a Kafka topic. The operator renders it into the logshipper sidecar's agent configuration (a ConfigMap named <name>-logshipper) and reports whether it is ready. */
export interface LogShipper {
  /** APIVersion of this object (logshipper.io/v1alpha1). */
  apiVersion?: string;
  /** Kind of this object (LogShipper). */
  kind?: string;
  metadata?: V1ObjectMeta;
  /** What to ship (files on a pod volume) and where to (a Kafka topic), and how. */
  spec: LogShipperSpec;
  /** What the operator observed and did. */
  status?: LogShipperStatus;
}

/** What to ship (files on a pod volume) and where to (a Kafka topic), and how. */
export interface LogShipperSpec {
  /** Name of the pod volume (spec.volumes[].name) that holds the log files. The sidecar mounts it read-only. */
  volume: string;
  /** The files to ship, as paths or globs relative to the volume. Each entry is one file group. */
  files: FileSpec[];
  /** Character encoding of the log files. Invalid bytes are replaced and counted. */
  encoding?: Encoding;
  /** Longest line in bytes; longer lines are split or truncated (see longLines) and counted, never blocking the file. */
  maxLineBytes?: number;
  /** What happens to a line longer than maxLineBytes. Split - into several events; Truncate - the rest is dropped. */
  longLines?: LongLinePolicy;
  /** The Kafka cluster and topic, and how records are produced. */
  kafka: KafkaSpec;
  /** The sidecar's in-memory buffer between the files and Kafka. When full, reading pauses (nothing is dropped). */
  channel?: ChannelSpec;
  /** Join lines into one event, e.g. a Java stack trace. Start: a line matching pattern starts a new event and other lines continue it. Continuation: a line matching pattern continues the previous event. */
  multiline?: MultilineSpec;
  /** Facts about the pod added to every line as Kafka headers named <headerPrefix><field>: PodName -> pod.name, Namespace -> pod.namespace, NodeName -> node.name, PodUID -> pod.uid, Container -> container.name, FilePath -> file.path, and label L -> pod.label.L. A static file header of the same name wins. */
  enrichment?: EnrichmentSpec;
  /** Settings of the injected sidecar container (used by the injector, not in the agent configuration). */
  sidecar?: SidecarSpec;
  /** Escape hatch: extra agent settings, by name from an allow-list (see the README's Operator section): source.* for the file source, channel.* for the memory channel, sink.* for the Kafka sink. */
  extraProperties?: ExtraPropertySpec[];
}

/** One path or glob on the volume, with optional static headers for its lines. */
export interface FileSpec {
  /** Path or glob relative to the volume root, e.g. "app.log", "app/*.log" or "**\/*.log" (* and ? match within a directory, ** across directories, [abc] one of the characters). Absolute paths, "." and ".." segments are refused. */
  path: string;
  /** Static Kafka headers (name -> value) added to every line of these files. */
  headers?: Record<string, string>;
  /** The topic of these files' lines, instead of spec.kafka.topic. Letters, digits, '.', '_', '-', and %{name} for the value of the line's header name (a static header of the file, or an enrichment header such as %{k8s.pod.label.app}); at most 249 characters. A line whose topic renders to no valid topic name (its header is missing or holds other characters) goes to spec.kafka.fallbackTopic. */
  topic?: string;
}

/** The Kafka cluster and topic, and how records are produced. */
export interface KafkaSpec {
  /** Bootstrap brokers as host:port, e.g. kafka-0.kafka.svc:9092. */
  brokers: string[];
  /** The topic lines are sent to, unless their file has its own (spec.files[].topic). Letters, digits, '.', '_', '-', and %{name} for the value of the line's header name (a static header of the file, or an enrichment header such as %{k8s.pod.label.app}); at most 249 characters. A line whose topic renders to no valid topic name (its header is missing or holds other characters) goes to spec.kafka.fallbackTopic. */
  topic: string;
  /** Where a line goes whose topic, a %{header} template, renders to no valid topic name. Required when spec.kafka.topic is a template; default: spec.kafka.topic. */
  fallbackTopic?: string;
  /** The record key, which chooses the partition (records with the same key keep their order). A pod field (e.g. PodName: one pod's lines stay in order), a fixed value, or a template of the lines' headers. Without it records are spread round-robin. */
  key?: KafkaKeySpec;
  /** Which acknowledgement a batch waits for: All (every in-sync replica, Kafka acks=all/-1), Leader (acks=1) or None (acks=0, lines can be lost). */
  acks?: Acks;
  /** Compression of record batches, in Kafka's formats (what the Java client writes): gzip, snappy, lz4 or zstd. zstd and gzip save the most bytes, lz4 and snappy cost the least CPU. */
  compression?: Compression;
  /** The compression level, as Kafka's compression.<codec>.level: gzip 1..9, zstd -131072..22 (higher: smaller and slower), lz4 only 9; none and snappy take none. Unset: Kafka's default for the codec. */
  compressionLevel?: number;
  /** What a record holds. Raw: the line as the value, the pod facts (spec.enrichment) as Kafka headers. Json: one JSON object per line (message, timestamp, file relative to the volume, the pod's namespace, name, uid, container, node and spec.enrichment.labels under kubernetes, other headers under headers) and no Kafka headers, for consumers without headers (Kafka Connect, ksqlDB). FlumeEvent: Flume's Avro event (headers and body), as Flume's useFlumeEventFormat writes it. */
  format?: KafkaFormat;
  /** Take the record timestamp from the line (its first 4096 bytes) instead of the time it was read. A line without a valid time, or with one more than an hour after the read time, keeps the read time (counted in logshipper_sink_timestamp_fallbacks_total). */
  timestamp?: KafkaTimestampSpec;
  /** Most lines per Kafka request (and per channel transaction). */
  batchSize?: number;
  /** How long (ms) a batch that is not full waits for more lines before it is sent (a full batch goes at once); fewer requests and less CPU for up to this much latency. */
  lingerMs?: number;
  /** Connect with TLS. Present (even empty) means TLS; the CA and client certificate come from Secrets in this namespace, mounted into the sidecar. Secret values are never written into the configuration. */
  tls?: KafkaTlsSpec;
  /** SASL authentication; the credentials come from a Secret, mounted into the sidecar as files. */
  sasl?: KafkaSaslSpec;
}

/** The record key, which chooses the partition (records with the same key keep their order). A pod field (e.g. PodName: one pod's lines stay in order), a fixed value, or a template of the lines' headers. Without it records are spread round-robin. */
export interface KafkaKeySpec {
  /** Use this fact about the pod as the key. */
  field?: PodField;
  /** Use this fixed string as the key. */
  value?: string;
  /** Build the key from the line's headers: %{name} is the value of header name (a static header of the file, or an enrichment header such as %{k8s.pod.name}), %% a literal %. A header a line lacks renders empty; an empty key is no key. */
  template?: string;
}

/** Take the record timestamp from the line (its first 4096 bytes) instead of the time it was read. A line without a valid time, or with one more than an hour after the read time, keeps the read time (counted in logshipper_sink_timestamp_fallbacks_total). */
export interface KafkaTimestampSpec {
  /** How the time in the line is written: Iso8601 (RFC 3339, e.g. 2026-12-02T03:53:11.123+01:00; no offset: UTC), EpochSeconds, EpochMillis, CommonLog (10/Oct/2026:13:55:36 -0700). */
  format: LineTimestampFormat;
  /** A regular expression (JavaScript syntax) finding the time in the line: its group named timestamp, else its first group, else the whole match, e.g. '^\[(\S+)\]'. Default: the first time in the format anywhere in the line. */
  pattern?: string;
}

/** Connect with TLS. Present (even empty) means TLS; the CA and client certificate come from Secrets in this namespace, mounted into the sidecar. Secret values are never written into the configuration. */
export interface KafkaTlsSpec {
  /** The CA certificate(s) (PEM) that sign the brokers' certificates; without it the system CAs are trusted. */
  ca?: SecretKeyRef;
  /** Client certificate for mutual TLS, from a Secret: one PEM holding certificate and key (e.g. the tls-combined.pem that cert-manager writes with additionalOutputFormats CombinedPEM), or a kubernetes.io/tls Secret's tls.crt and tls.key. */
  clientCertificate?: ClientCertificateSpec;
  /** Check that a broker's certificate names the host connected to. */
  verifyHostname?: boolean;
}

/** The CA certificate(s) (PEM) that sign the brokers' certificates; without it the system CAs are trusted. */
export interface SecretKeyRef {
  /** Name of a Secret in this namespace. */
  secretName: string;
  /** The Secret's key holding the PEM CA bundle. */
  key?: string;
}

/** Client certificate for mutual TLS, from a Secret: one PEM holding certificate and key (e.g. the tls-combined.pem that cert-manager writes with additionalOutputFormats CombinedPEM), or a kubernetes.io/tls Secret's tls.crt and tls.key. */
export interface ClientCertificateSpec {
  /** Name of a Secret in this namespace. */
  secretName: string;
  /** CombinedPEM: one key holds certificate (chain) and private key. KubernetesTLS: a kubernetes.io/tls Secret, certificate and key in two keys (mounted together; a pair that does not match is refused). */
  format?: ClientCertificateFormat;
  /** With format CombinedPEM: the Secret's key holding certificate and private key (PEM). */
  key?: string;
  /** With format KubernetesTLS: the Secret's key holding the certificate (chain, PEM). */
  certificateKey?: string;
  /** With format KubernetesTLS: the Secret's key holding the private key (PEM). */
  privateKeyKey?: string;
}

/** SASL authentication; the credentials come from a Secret, mounted into the sidecar as files. */
export interface KafkaSaslSpec {
  /** The SASL mechanism. */
  mechanism: SaslMechanism;
  /** Name of the Secret (in this namespace) holding the credentials. */
  secretName: string;
  /** The Secret's key holding the username (not with OAUTHBEARER). */
  usernameKey?: string;
  /** The Secret's key holding the password (not with OAUTHBEARER). */
  passwordKey?: string;
  /** With OAUTHBEARER: the Secret's key holding the bearer token (one line, e.g. a JWT), kept fresh by whatever issues it. */
  tokenKey?: string;
}

/** The sidecar's in-memory buffer between the files and Kafka. When full, reading pauses (nothing is dropped). */
export interface ChannelSpec {
  /** Most lines buffered. */
  capacity?: number;
  /** Most bytes (bodies and headers) buffered. */
  byteCapacity?: number;
}

/** Join lines into one event, e.g. a Java stack trace. Start: a line matching pattern starts a new event and other lines continue it. Continuation: a line matching pattern continues the previous event. */
export interface MultilineSpec {
  /** Whether pattern matches the first line of an event (Start) or its continuation lines (Continuation). */
  mode: MultilineMode;
  /** A regular expression (JavaScript syntax), e.g. '^\d{4}-\d{2}-\d{2}' (Start) or '^\s' (Continuation). */
  pattern: string;
  /** Most lines in one event; the event is sent when reached. */
  maxLines?: number;
  /** Most bytes in one event; the event is sent when reached. */
  maxBytes?: number;
  /** Send a pending event after this many ms without a new line. */
  timeoutMs?: number;
}

/** Facts about the pod added to every line as Kafka headers named <headerPrefix><field>: PodName -> pod.name, Namespace -> pod.namespace, NodeName -> node.name, PodUID -> pod.uid, Container -> container.name, FilePath -> file.path, and label L -> pod.label.L. A static file header of the same name wins. */
export interface EnrichmentSpec {
  /** The pod facts to add as headers. */
  fields?: EnrichmentField[];
  /** Pod label keys whose values are added as headers (an absent label gives an empty value). */
  labels?: string[];
  /** Prefix of the enrichment header names. */
  headerPrefix?: string;
}

/** Settings of the injected sidecar container (used by the injector, not in the agent configuration). */
export interface SidecarSpec {
  /** The sidecar image, overriding the operator's default. Only an image the cluster admin allows (operator flag --allowed-sidecar-images, chart value sidecar.allowedImages): any other makes the LogShipper Ready=False with reason ImageNotAllowed, and pods are not injected. */
  image?: string;
  /** The sidecar's HTTP port (probes, /metrics; container port named logshipper-http), default 18464. A pod's logshipper.io/sidecar-http-port annotation wins; when the pod already declares the port, the injector takes the next one it does not declare (recorded in the logshipper.io/injection annotation). */
  httpPort?: number;
  /** Compute resources of the sidecar container (as in a Pod's container resources). */
  resources?: ResourceRequirements;
}

/** Compute resources of the sidecar container (as in a Pod's container resources). */
export interface ResourceRequirements {
  /** Most compute resources allowed, e.g. cpu 200m, memory 128Mi. */
  limits?: Record<string, string | number>;
  /** Compute resources requested, e.g. cpu 50m, memory 64Mi. */
  requests?: Record<string, string | number>;
}

/** One agent setting. */
export interface ExtraPropertySpec {
  /** The setting, one of the allow-list. */
  name: string;
  /** The value, as the agent would read it from its properties file. */
  value: string;
}

/** What the operator observed and did. */
export interface LogShipperStatus {
  /** The metadata.generation this status describes. */
  observedGeneration?: number;
  /** sha256 (hex) of the rendered agent configuration; injected pods record the hash they started with. */
  configHash?: string;
  /** The ConfigMap holding the rendered configuration (key agent.properties). */
  configMapName?: string;
  /** Pods carrying the sidecar for this LogShipper. */
  injectedPods?: number;
  /** Injected pods whose configuration hash is the current configHash. */
  currentPods?: number;
  /** Injected pods started with an older configuration hash. */
  stalePods?: number;
  /** Live pods that ask for this LogShipper (annotation logshipper.io/inject) and run without the sidecar, so their logs are not shipped: admitted while the injection webhook was unavailable or failed. Recreate them to get it. */
  uninjectedPods?: number;
  /** Live injected pods whose sidecar reports it cannot deliver to Kafka (a sink failing longer than its backoff limit), recorded by the operator as the pod annotation logshipper.io/delivery. The application keeps serving; its lines wait in the sidecar. */
  undeliveringPods?: number;
  /** Ready: True (reason Reconciled) when the configuration is rendered into the ConfigMap and every referenced Secret and key exists; False with reason SecretNotFound, SecretKeyNotFound, InvalidSpec, ConfigMapConflict, ApiError, ImageNotAllowed or BrokerNotAllowed (the cluster admin's allow-lists) otherwise. SidecarsInjected: True (reason AllPodsInjected) when every live pod that asks for this LogShipper carries the sidecar; False (reason PodsWithoutSidecar, see uninjectedPods) otherwise. Delivering (not part of Ready either): True (reason AllSidecarsDelivering) when no injected pod's sidecar reports delivery trouble; False (reason SidecarsNotDelivering, see undeliveringPods; the message names up to five pods with since when and why) otherwise. */
  conditions?: Condition[];
}

/** One aspect of the LogShipper's state. */
export interface Condition {
  /** The condition type (Ready, SidecarsInjected, Delivering). */
  type: string;
  /** True, False or Unknown. */
  status: ConditionStatus;
  /** A CamelCase reason for the status. */
  reason: string;
  /** What is wrong and what to do, for humans. */
  message: string;
  /** When the status last changed. */
  lastTransitionTime: string;
  /** The metadata.generation the condition was set for. */
  observedGeneration?: number;
}

/** The spec with every schema default applied (what the apiserver stores; `render -f` applies them itself). */
export interface ResolvedSpec {
  /** Name of the pod volume (spec.volumes[].name) that holds the log files. The sidecar mounts it read-only. */
  volume: string;
  /** The files to ship, as paths or globs relative to the volume. Each entry is one file group. */
  files: {
    /** Path or glob relative to the volume root, e.g. "app.log", "app/*.log" or "**\/*.log" (* and ? match within a directory, ** across directories, [abc] one of the characters). Absolute paths, "." and ".." segments are refused. */
    path: string;
    /** Static Kafka headers (name -> value) added to every line of these files. */
    headers: Record<string, string>;
    /** The topic of these files' lines, instead of spec.kafka.topic. Letters, digits, '.', '_', '-', and %{name} for the value of the line's header name (a static header of the file, or an enrichment header such as %{k8s.pod.label.app}); at most 249 characters. A line whose topic renders to no valid topic name (its header is missing or holds other characters) goes to spec.kafka.fallbackTopic. */
    topic?: string;
  }[];
  /** Character encoding of the log files. Invalid bytes are replaced and counted. */
  encoding: Encoding;
  /** Longest line in bytes; longer lines are split or truncated (see longLines) and counted, never blocking the file. */
  maxLineBytes: number;
  /** What happens to a line longer than maxLineBytes. Split - into several events; Truncate - the rest is dropped. */
  longLines: LongLinePolicy;
  /** The Kafka cluster and topic, and how records are produced. */
  kafka: {
    /** Bootstrap brokers as host:port, e.g. kafka-0.kafka.svc:9092. */
    brokers: string[];
    /** The topic lines are sent to, unless their file has its own (spec.files[].topic). Letters, digits, '.', '_', '-', and %{name} for the value of the line's header name (a static header of the file, or an enrichment header such as %{k8s.pod.label.app}); at most 249 characters. A line whose topic renders to no valid topic name (its header is missing or holds other characters) goes to spec.kafka.fallbackTopic. */
    topic: string;
    /** Where a line goes whose topic, a %{header} template, renders to no valid topic name. Required when spec.kafka.topic is a template; default: spec.kafka.topic. */
    fallbackTopic?: string;
    /** The record key, which chooses the partition (records with the same key keep their order). A pod field (e.g. PodName: one pod's lines stay in order), a fixed value, or a template of the lines' headers. Without it records are spread round-robin. */
    key?: {
      /** Use this fact about the pod as the key. */
      field?: PodField;
      /** Use this fixed string as the key. */
      value?: string;
      /** Build the key from the line's headers: %{name} is the value of header name (a static header of the file, or an enrichment header such as %{k8s.pod.name}), %% a literal %. A header a line lacks renders empty; an empty key is no key. */
      template?: string;
    };
    /** Which acknowledgement a batch waits for: All (every in-sync replica, Kafka acks=all/-1), Leader (acks=1) or None (acks=0, lines can be lost). */
    acks: Acks;
    /** Compression of record batches, in Kafka's formats (what the Java client writes): gzip, snappy, lz4 or zstd. zstd and gzip save the most bytes, lz4 and snappy cost the least CPU. */
    compression: Compression;
    /** The compression level, as Kafka's compression.<codec>.level: gzip 1..9, zstd -131072..22 (higher: smaller and slower), lz4 only 9; none and snappy take none. Unset: Kafka's default for the codec. */
    compressionLevel?: number;
    /** What a record holds. Raw: the line as the value, the pod facts (spec.enrichment) as Kafka headers. Json: one JSON object per line (message, timestamp, file relative to the volume, the pod's namespace, name, uid, container, node and spec.enrichment.labels under kubernetes, other headers under headers) and no Kafka headers, for consumers without headers (Kafka Connect, ksqlDB). FlumeEvent: Flume's Avro event (headers and body), as Flume's useFlumeEventFormat writes it. */
    format: KafkaFormat;
    /** Take the record timestamp from the line (its first 4096 bytes) instead of the time it was read. A line without a valid time, or with one more than an hour after the read time, keeps the read time (counted in logshipper_sink_timestamp_fallbacks_total). */
    timestamp?: {
      /** How the time in the line is written: Iso8601 (RFC 3339, e.g. 2026-12-02T03:53:11.123+01:00; no offset: UTC), EpochSeconds, EpochMillis, CommonLog (10/Oct/2026:13:55:36 -0700). */
      format: LineTimestampFormat;
      /** A regular expression (JavaScript syntax) finding the time in the line: its group named timestamp, else its first group, else the whole match, e.g. '^\[(\S+)\]'. Default: the first time in the format anywhere in the line. */
      pattern?: string;
    };
    /** Most lines per Kafka request (and per channel transaction). */
    batchSize: number;
    /** How long (ms) a batch that is not full waits for more lines before it is sent (a full batch goes at once); fewer requests and less CPU for up to this much latency. */
    lingerMs: number;
    /** Connect with TLS. Present (even empty) means TLS; the CA and client certificate come from Secrets in this namespace, mounted into the sidecar. Secret values are never written into the configuration. */
    tls?: {
      /** The CA certificate(s) (PEM) that sign the brokers' certificates; without it the system CAs are trusted. */
      ca?: {
        /** Name of a Secret in this namespace. */
        secretName: string;
        /** The Secret's key holding the PEM CA bundle. */
        key: string;
      };
      /** Client certificate for mutual TLS, from a Secret: one PEM holding certificate and key (e.g. the tls-combined.pem that cert-manager writes with additionalOutputFormats CombinedPEM), or a kubernetes.io/tls Secret's tls.crt and tls.key. */
      clientCertificate?: {
        /** Name of a Secret in this namespace. */
        secretName: string;
        /** CombinedPEM: one key holds certificate (chain) and private key. KubernetesTLS: a kubernetes.io/tls Secret, certificate and key in two keys (mounted together; a pair that does not match is refused). */
        format: ClientCertificateFormat;
        /** With format CombinedPEM: the Secret's key holding certificate and private key (PEM). */
        key: string;
        /** With format KubernetesTLS: the Secret's key holding the certificate (chain, PEM). */
        certificateKey: string;
        /** With format KubernetesTLS: the Secret's key holding the private key (PEM). */
        privateKeyKey: string;
      };
      /** Check that a broker's certificate names the host connected to. */
      verifyHostname: boolean;
    };
    /** SASL authentication; the credentials come from a Secret, mounted into the sidecar as files. */
    sasl?: {
      /** The SASL mechanism. */
      mechanism: SaslMechanism;
      /** Name of the Secret (in this namespace) holding the credentials. */
      secretName: string;
      /** The Secret's key holding the username (not with OAUTHBEARER). */
      usernameKey: string;
      /** The Secret's key holding the password (not with OAUTHBEARER). */
      passwordKey: string;
      /** With OAUTHBEARER: the Secret's key holding the bearer token (one line, e.g. a JWT), kept fresh by whatever issues it. */
      tokenKey: string;
    };
  };
  /** The sidecar's in-memory buffer between the files and Kafka. When full, reading pauses (nothing is dropped). */
  channel: {
    /** Most lines buffered. */
    capacity: number;
    /** Most bytes (bodies and headers) buffered. */
    byteCapacity: number;
  };
  /** Join lines into one event, e.g. a Java stack trace. Start: a line matching pattern starts a new event and other lines continue it. Continuation: a line matching pattern continues the previous event. */
  multiline?: {
    /** Whether pattern matches the first line of an event (Start) or its continuation lines (Continuation). */
    mode: MultilineMode;
    /** A regular expression (JavaScript syntax), e.g. '^\d{4}-\d{2}-\d{2}' (Start) or '^\s' (Continuation). */
    pattern: string;
    /** Most lines in one event; the event is sent when reached. */
    maxLines: number;
    /** Most bytes in one event; the event is sent when reached. */
    maxBytes: number;
    /** Send a pending event after this many ms without a new line. */
    timeoutMs: number;
  };
  /** Facts about the pod added to every line as Kafka headers named <headerPrefix><field>: PodName -> pod.name, Namespace -> pod.namespace, NodeName -> node.name, PodUID -> pod.uid, Container -> container.name, FilePath -> file.path, and label L -> pod.label.L. A static file header of the same name wins. */
  enrichment: {
    /** The pod facts to add as headers. */
    fields: EnrichmentField[];
    /** Pod label keys whose values are added as headers (an absent label gives an empty value). */
    labels: string[];
    /** Prefix of the enrichment header names. */
    headerPrefix: string;
  };
  /** Escape hatch: extra agent settings, by name from an allow-list (see the README's Operator section): source.* for the file source, channel.* for the memory channel, sink.* for the Kafka sink. */
  extraProperties: {
    /** The setting, one of the allow-list. */
    name: string;
    /** The value, as the agent would read it from its properties file. */
    value: string;
  }[];
}

/** The range of spec.sidecar.httpPort (minimum..maximum). */
export const SIDECAR_HTTP_PORT_RANGE = { min: 1024, max: 65535 } as const;

/** Schema defaults (the CRD's `default:` values). */
export const DEFAULTS = {
  encoding: 'UTF-8' as Encoding,
  maxLineBytes: 1032192,
  longLines: 'Split' as LongLinePolicy,
  acks: 'All' as Acks,
  compression: 'none' as Compression,
  format: 'Raw' as KafkaFormat,
  batchSize: 500,
  lingerMs: 100,
  caKey: 'ca.crt',
  clientCertificateFormat: 'CombinedPEM' as ClientCertificateFormat,
  clientCertificateKey: 'tls-combined.pem',
  certificateKey: 'tls.crt',
  privateKeyKey: 'tls.key',
  verifyHostname: true,
  usernameKey: 'username',
  passwordKey: 'password',
  tokenKey: 'token',
  capacity: 10000,
  byteCapacity: 67108864,
  multilineMaxLines: 500,
  multilineMaxBytes: 1032192,
  multilineTimeoutMs: 1000,
  headerPrefix: 'k8s.',
} as const;
