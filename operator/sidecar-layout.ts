// Where things are inside the injected sidecar: the one place both the renderer (issue 6) and the
// pod injector (issue 7) take paths, names and environment variables from. The rendered properties
// refer to these paths and `${...}` variables; the injector creates exactly these mounts and env.
import { createHash } from 'node:crypto';
import type { ClientCertificateSpec, ResolvedSpec } from './crd-types.ts';
import { SASL_OAUTHBEARER_TOKEN_FILE_KEY, SASL_PASSWORD_FILE_KEY, SASL_USERNAME_FILE_KEY } from '../sidecar/sinks/kafka-config.ts';
import { POD_IDENTITY_ENV } from '../sidecar/health-report.ts';

/** The agent name in the rendered file (`logshipper agent --name <AGENT_NAME>`). */
export const AGENT_NAME = 'logshipper';
/** Component names inside the rendered agent. */
export const SOURCE_NAME = 'files';
export const CHANNEL_NAME = 'memory';
export const SINK_NAME = 'kafka';

/** The name of the sidecar container the injector adds. */
export const SIDECAR_CONTAINER_NAME = 'logshipper';

/** The pod's log volume (spec.volume) is mounted here, read-only. File paths are relative to it. */
export const LOG_VOLUME_MOUNT_PATH = '/var/log/logshipper/volume';

/** The rendered ConfigMap is mounted here as a directory (never subPath, so updates reach the pod). */
export const CONFIG_MOUNT_PATH = '/etc/logshipper';
/** The key of the properties file in the ConfigMap, and so its file name in CONFIG_MOUNT_PATH. */
export const CONFIG_FILE_KEY = 'agent.properties';
export const CONFIG_FILE_PATH = `${CONFIG_MOUNT_PATH}/${CONFIG_FILE_KEY}`;

/** A writable emptyDir for the source's position file (checkpoints survive sidecar restarts, not pod deletion). */
export const STATE_MOUNT_PATH = '/var/lib/logshipper';
export const POSITION_FILE_PATH = `${STATE_MOUNT_PATH}/taildir_position.json`;

/** TLS material from the referenced Secrets, each mounted as a single file. */
export const TLS_CA_MOUNT_PATH = '/var/run/secrets/logshipper/kafka-ca';
export const TLS_CA_FILE_PATH = `${TLS_CA_MOUNT_PATH}/ca.crt`;
export const TLS_CLIENT_MOUNT_PATH = '/var/run/secrets/logshipper/kafka-client';
/** A PEM file holding the client certificate (chain) and its private key: the agent reads both from one keystore file. */
export const TLS_CLIENT_FILE_PATH = `${TLS_CLIENT_MOUNT_PATH}/keystore.pem`;
/**
 * Or, from a kubernetes.io/tls Secret, certificate and key as two files of one volume: the kubelet
 * swaps both at once (`..data`), and the agent refuses a pair that does not match.
 */
export const TLS_CLIENT_CERT_FILE_PATH = `${TLS_CLIENT_MOUNT_PATH}/tls.crt`;
export const TLS_CLIENT_KEY_FILE_PATH = `${TLS_CLIENT_MOUNT_PATH}/tls.key`;

/** A Secret key mounted as a file: the spec field naming the key, and the agent setting naming the file. */
export interface SecretFile {
  key: string;
  path: string;
  field: string;
  setting: string;
}

/** The client certificate Secret's keys as the injector mounts them and the renderer names them. */
export function clientCertificateFiles(ref: Required<ClientCertificateSpec>): SecretFile[] {
  return ref.format === 'CombinedPEM'
    ? [{ key: ref.key, path: TLS_CLIENT_FILE_PATH, field: 'key', setting: 'kafka.producer.ssl.keystore.location' }]
    : [
      { key: ref.certificateKey, path: TLS_CLIENT_CERT_FILE_PATH, field: 'certificateKey', setting: 'kafka.producer.ssl.certificate.location' },
      { key: ref.privateKeyKey, path: TLS_CLIENT_KEY_FILE_PATH, field: 'privateKeyKey', setting: 'kafka.producer.ssl.key.location' },
    ];
}

/**
 * The SASL Secret's username and password keys, mounted as two files (not env vars: a rotated
 * password reaches a running sidecar through the volume, which the agent watches).
 */
export const SASL_MOUNT_PATH = '/var/run/secrets/logshipper/kafka-sasl';
export const SASL_USERNAME_FILE_PATH = `${SASL_MOUNT_PATH}/username`;
export const SASL_PASSWORD_FILE_PATH = `${SASL_MOUNT_PATH}/password`;
/** With OAUTHBEARER, the token instead. */
export const SASL_TOKEN_FILE_PATH = `${SASL_MOUNT_PATH}/token`;

/** The SASL Secret's keys as the injector mounts them and the renderer names them. */
export function saslFiles(sasl: NonNullable<ResolvedSpec['kafka']['sasl']>): SecretFile[] {
  return sasl.mechanism === 'OAUTHBEARER'
    ? [{ key: sasl.tokenKey, path: SASL_TOKEN_FILE_PATH, field: 'tokenKey', setting: SASL_OAUTHBEARER_TOKEN_FILE_KEY }]
    : [
      { key: sasl.usernameKey, path: SASL_USERNAME_FILE_PATH, field: 'usernameKey', setting: SASL_USERNAME_FILE_KEY },
      { key: sasl.passwordKey, path: SASL_PASSWORD_FILE_PATH, field: 'passwordKey', setting: SASL_PASSWORD_FILE_KEY },
    ];
}

/** Environment variables the injector sets on the sidecar. The renderer refers to them as `${NAME}`. */
export const ENV = {
  /** downward API fieldRef metadata.name (also who the delivery reports speak for: sidecar/health-report.ts) */
  podName: POD_IDENTITY_ENV.pod,
  /** downward API fieldRef metadata.namespace */
  podNamespace: POD_IDENTITY_ENV.namespace,
  /** downward API fieldRef spec.nodeName */
  nodeName: 'NODE_NAME',
  /** downward API fieldRef metadata.uid */
  podUID: POD_IDENTITY_ENV.uid,
  /** set by the injector to the name of the (first) application container that mounts spec.volume */
  container: 'CONTAINER_NAME',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * The env var carrying pod label `label` (downward API fieldRef `metadata.labels['<label>']`).
 * Derived from the label key alone (not its position in the list), so it stays the same when the
 * list changes; the hash suffix keeps `a.b` and `a-b` apart.
 */
export function labelEnvName(label: string): string {
  const readable = label.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  const digest = createHash('sha256').update(label, 'utf8').digest('hex').slice(0, 8).toUpperCase();
  return `POD_LABEL_${readable === '' ? '' : `${readable}_`}${digest}`;
}

/** The ConfigMap holding a LogShipper's rendered properties (LogShipper names are at most 63 characters). */
export function configMapName(logShipperName: string): string {
  return `${logShipperName}-logshipper`;
}

/** Annotation on the ConfigMap (and, from issue 7, on injected pods): sha256 of the properties text. */
export const CONFIG_HASH_ANNOTATION = 'logshipper.io/config-hash';
/** Label on everything the operator creates, so its informers see only its own objects. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'logshipper-operator';
/** Label naming the LogShipper an object belongs to. */
export const LOGSHIPPER_LABEL = 'logshipper.io/name';
