// The injection webhook: an HTTPS server answering AdmissionReview (admission.k8s.io/v1) for pod
// CREATE at /mutate. A thin shell around inject(): it finds the LogShipper (informer cache, then the
// API on a miss), calls inject(), and answers with the JSON patch, or admits the pod unchanged (a
// warning for the client, an Event, a metric), or in strict mode denies it with the reason.
// Runs in every replica (not only the leader), so the Service has as many endpoints as replicas.
// client-node's model types are classes with only public data fields; plain object literals (and copies) stand for them.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { V1ObjectReference, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LogShipper } from './crd-types.ts';
import { inject, isStrict, requestedLogShipper, type InjectOptions, type Skip } from './inject.ts';
import type { ServingCertificate } from './certs.ts';

export const WEBHOOK_PATH = '/mutate';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The parts of an AdmissionReview request the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  namespace?: string;
  operation?: string;
  dryRun?: boolean;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

export interface WebhookDeps {
  inject: InjectOptions;
  /** Deny pods whose injection fails (unless their annotation says otherwise). */
  strict: boolean;
  /** The LogShipper, or undefined when it does not exist. Throws on API errors. */
  findShipper: (namespace: string, name: string) => Promise<LogShipper | undefined>;
  /** Queues a Kubernetes Event (best effort; returns at once: the answer never waits on the Events API). */
  recordEvent: (involvedObject: V1ObjectReference, reason: string, message: string) => void;
  metrics: AdmissionMetrics;
  log: Logger;
}

/** The metrics the webhook updates (the registry's, or their stand-ins in the webhook's worker thread). */
export interface AdmissionMetrics {
  injections: { inc: (labels: Record<'result' | 'reason', string>) => void };
  admissionDuration: { startTimer: () => () => unknown };
  /** Requests answered with an HTTP error instead of an AdmissionReview (the apiserver applies the failurePolicy). */
  admissionErrors: { inc: (labels: { reason: AdmissionErrorReason }) => void };
}

export type AdmissionErrorReason = 'too_large' | 'invalid_json' | 'not_admission_review';

/**
 * Where an Event about a pod that was not injected goes. At admission the pod does not exist yet (no
 * uid; a ReplicaSet's pod has no name either, only generateName), so an Event on it would not show in
 * `kubectl describe pod`. Its controlling owner does exist, with a uid: `kubectl describe rs|job|sts`
 * shows the Event next to the pods it keeps creating. A bare pod gets the Event by name.
 */
export function eventTarget(pod: V1Pod, namespace: string): V1ObjectReference {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  if (owner !== undefined) return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, namespace };
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? pod.metadata?.generateName ?? '', namespace };
}

function podLabel(pod: V1Pod, namespace: string): string {
  const name = pod.metadata?.name ?? (pod.metadata?.generateName === undefined ? '' : `${pod.metadata.generateName}<generated>`);
  return `${namespace}/${name}`;
}

/** Answers one AdmissionReview request. Never throws: an internal error admits the pod unchanged (or denies it in strict mode). */
export async function review(request: AdmissionRequest, deps: WebhookDeps): Promise<AdmissionResponse> {
  const allowed: AdmissionResponse = { uid: request.uid, allowed: true };
  const isPod = request.kind?.kind === 'Pod' && (request.kind.group ?? '') === '' && (request.subResource ?? '') === '';
  if (!isPod || request.operation !== 'CREATE' || typeof request.object !== 'object' || request.object === null) return allowed;
  const pod = request.object as V1Pod;
  const namespace = request.namespace ?? pod.metadata?.namespace ?? '';
  const podForInject: V1Pod = { ...pod, metadata: { ...pod.metadata, namespace } };
  const wanted = requestedLogShipper(podForInject);
  const who = podLabel(pod, namespace);
  let outcome: { patch: string; logShipper: string; configHash: string; mode: string } | Skip;
  if (wanted === undefined) {
    outcome = { reason: 'NotRequested', message: '', failure: false };
  } else {
    try {
      const shipper = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(wanted) ? await deps.findShipper(namespace, wanted) : undefined;
      const result = inject(podForInject, shipper, deps.inject);
      outcome = 'skip' in result
        ? result.skip
        : { patch: Buffer.from(JSON.stringify(result.patch)).toString('base64'), ...result.injection };
    } catch (error) {
      outcome = { reason: 'InternalError', message: `cannot inject the sidecar: ${(error as Error).message}`, failure: true };
    }
  }
  if ('patch' in outcome) {
    deps.metrics.injections.inc({ result: 'injected', reason: '' });
    deps.log.info({ pod: who, uid: request.uid, logshipper: outcome.logShipper, configHash: outcome.configHash, mode: outcome.mode, dryRun: request.dryRun === true }, 'sidecar injected');
    return { ...allowed, patchType: 'JSONPatch', patch: outcome.patch };
  }
  if (!outcome.failure) {
    deps.metrics.injections.inc({ result: 'skipped', reason: outcome.reason });
    if (outcome.reason !== 'NotRequested') deps.log.info({ pod: who, uid: request.uid, reason: outcome.reason }, 'pod left alone');
    return allowed;
  }
  const strict = isStrict(pod, deps.strict);
  const message = `logshipper: sidecar not injected: ${outcome.message}`;
  deps.metrics.injections.inc({ result: strict ? 'denied' : 'failed', reason: outcome.reason });
  deps.log.warn({ pod: who, uid: request.uid, reason: outcome.reason, strict, err: outcome.message }, strict ? 'pod denied: sidecar cannot be injected' : 'pod admitted without the sidecar');
  // Events are side effects: none for dry-run requests (the webhook is registered with sideEffects: NoneOnDryRun).
  if (request.dryRun !== true) {
    deps.recordEvent(eventTarget(pod, namespace), strict ? 'SidecarInjectionDenied' : 'SidecarInjectionFailed', `pod ${who}: ${strict ? 'denied' : 'admitted without the logshipper sidecar'}: ${outcome.message}`);
  }
  if (strict) return { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
  return { ...allowed, warnings: [message.slice(0, 400)] };
}

export interface WebhookServer {
  server: Server;
  port: number;
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

/** Starts the HTTPS server: POST /mutate answers AdmissionReviews; GET /healthz answers ok. */
export async function startWebhookServer(host: string, port: number, certificate: ServingCertificate, deps: WebhookDeps): Promise<WebhookServer> {
  const server = createServer({ cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/healthz' && req.method === 'GET') {
      send(200, 'ok\n', 'text/plain; charset=utf-8');
      return;
    }
    if (path !== WEBHOOK_PATH) {
      send(404, `not found: POST ${WEBHOOK_PATH}\n`, 'text/plain; charset=utf-8');
      return;
    }
    if (req.method !== 'POST') {
      send(405, 'method not allowed\n', 'text/plain; charset=utf-8');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        deps.metrics.admissionErrors.inc({ reason: 'too_large' });
        send(413, 'request too large\n', 'text/plain; charset=utf-8');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const stopTimer = deps.metrics.admissionDuration.startTimer();
      let body: { apiVersion?: string; kind?: string; request?: AdmissionRequest };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        deps.metrics.admissionErrors.inc({ reason: 'invalid_json' });
        send(400, 'invalid JSON\n', 'text/plain; charset=utf-8');
        return;
      }
      if (body.kind !== 'AdmissionReview' || typeof body.request?.uid !== 'string') {
        deps.metrics.admissionErrors.inc({ reason: 'not_admission_review' });
        send(400, 'an AdmissionReview with a request is expected\n', 'text/plain; charset=utf-8');
        return;
      }
      void review(body.request, deps).then((response) => {
        stopTimer();
        send(200, JSON.stringify({ apiVersion: body.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    setCertificate: (next) => {
      // New connections use the new certificate; open ones keep theirs.
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' });
    },
    close: async () => new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    }),
  };
}
