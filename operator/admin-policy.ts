// What the cluster admin allows LogShipper authors (flags of `logshipper operator`, chart values):
// which sidecar images a LogShipper may name, and which Kafka brokers it may ship to. A LogShipper
// is namespaced, so application teams write their own; without these lists its author could run
// any image next to every annotated pod, or send the pods' logs (and, through spec.kafka.sasl, any
// Secret of the namespace as credentials) to a broker of their choosing. Pure: parsing and checks.
//
// Image entries: an exact reference (`ghcr.io/logshipper/logshipper:1.2.0`), or a prefix ending in
// `/*` (any image under a repository path), `:*` (any tag of one repository) or `@*` (any digest of
// one repository). The prefix must end at such a separator so that `registry.example/team/*` never
// allows `registry.example/team-evil/x`. The operator's own --sidecar-image is always allowed.
//
// Broker entries: `host:port`, with host an exact name or IP (`kafka-0.kafka.infra.svc:9092`,
// `[fd00::1]:9093`) or `*.domain` (any name ending in `.domain`, never `domain` itself), and port a
// number or `*` (any port). Names compare case-insensitively. An empty list allows any broker.

export interface AdminPolicy {
  /** Images spec.sidecar.image may name, besides the operator's own --sidecar-image. */
  sidecarImages: readonly string[];
  /** Brokers spec.kafka.brokers may name; empty: any. */
  brokers: readonly string[];
}

export const OPEN_POLICY: AdminPolicy = { sidecarImages: [], brokers: [] };

/** Condition / skip reasons of a refusal. */
export const POLICY_REASONS = {
  imageNotAllowed: 'ImageNotAllowed',
  brokerNotAllowed: 'BrokerNotAllowed',
} as const;
export type PolicyReason = (typeof POLICY_REASONS)[keyof typeof POLICY_REASONS];

const IMAGE_PREFIX_ENDINGS = ['/*', ':*', '@*'] as const;
const HOST_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** Why `entry` is not a valid image allow-list entry, or undefined. */
export function imageEntryProblem(entry: string): string | undefined {
  if (!/^\S+$/.test(entry)) return 'an image reference without spaces is allowed';
  const star = entry.indexOf('*');
  if (star === -1) return undefined;
  if (star !== entry.length - 1 || !IMAGE_PREFIX_ENDINGS.some((ending) => entry.endsWith(ending)) || entry.length < 3) {
    return 'an exact image reference, or a prefix ending in /*, :* or @* (e.g. registry.example/logshipper:*) is allowed';
  }
  return undefined;
}

function splitHostPort(text: string): { host: string; port: string } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { host: text.slice(0, colon).toLowerCase(), port: text.slice(colon + 1) };
}

function validPort(port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535;
}

/** Why `entry` is not a valid broker allow-list entry, or undefined. */
export function brokerEntryProblem(entry: string): string | undefined {
  const allowed = 'host:port, *.domain:port, with port a number or * (e.g. *.kafka.infra.svc:9093) is allowed';
  const parts = splitHostPort(entry);
  if (parts === undefined) return allowed;
  const { host, port } = parts;
  if (port !== '*' && !validPort(port)) return allowed;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (!HOST_NAME.test(name) && !(name === host && IPV6.test(host))) return allowed;
  return undefined;
}

/** Whether `image` is allowed: the operator's default, an exact entry, or under a prefix entry. */
export function imageAllowed(image: string, policy: AdminPolicy, defaultImage: string | undefined): boolean {
  if (image === defaultImage) return true;
  return policy.sidecarImages.some((entry) => (entry.endsWith('*') ? image.startsWith(entry.slice(0, -1)) && image.length > entry.length - 1 : image === entry));
}

function brokerMatches(broker: string, entry: string): boolean {
  const have = splitHostPort(broker);
  const want = splitHostPort(entry);
  if (have === undefined || want === undefined) return false;
  if (want.port !== '*' && want.port !== have.port) return false;
  if (want.host.startsWith('*.')) return have.host.endsWith(want.host.slice(1)) && have.host.length > want.host.length - 1;
  return have.host === want.host;
}

export interface PolicyRefusal {
  reason: PolicyReason;
  /** Names the field, the refused value and what is allowed. */
  message: string;
}

function list(entries: readonly string[]): string {
  return entries.length === 0 ? 'none' : entries.join(', ');
}

/**
 * The first thing of a LogShipper the policy refuses, or undefined. `image` is spec.sidecar.image
 * (undefined: the operator's default, always allowed); `brokers` is spec.kafka.brokers;
 * `defaultImage` the operator's --sidecar-image (undefined when it runs without the webhook).
 */
export function policyRefusal(image: string | undefined, brokers: readonly string[], policy: AdminPolicy, defaultImage: string | undefined): PolicyRefusal | undefined {
  if (image !== undefined && !imageAllowed(image, policy, defaultImage)) {
    const allowed = [...(defaultImage === undefined ? [] : [`${defaultImage} (the operator's default)`]), ...policy.sidecarImages];
    return {
      reason: POLICY_REASONS.imageNotAllowed,
      message: `spec.sidecar.image: image ${JSON.stringify(image)} is not allowed by the cluster admin: remove the field (the operator's default image) or name an allowed image, or ask the cluster admin to allow it (operator flag --allowed-sidecar-images, chart value sidecar.allowedImages); until then pods are not injected; allowed: ${list(allowed)}`,
    };
  }
  if (policy.brokers.length > 0) {
    const index = brokers.findIndex((broker) => !policy.brokers.some((entry) => brokerMatches(broker, entry)));
    const broker = brokers[index];
    if (broker !== undefined) {
      return {
        reason: POLICY_REASONS.brokerNotAllowed,
        message: `spec.kafka.brokers[${String(index)}]: broker ${JSON.stringify(broker)} is not allowed by the cluster admin: name an allowed broker, or ask the cluster admin to allow it (operator flag --allowed-brokers, chart value kafka.allowedBrokers); until then the ConfigMap keeps its brokers and pods are not injected; allowed: ${list(policy.brokers)}`,
      };
    }
  }
  return undefined;
}
