// Kubernetes Events on a LogShipper: one per state change (configuration written, readiness changed),
// so `kubectl describe logshipper` tells the story.
// client-node's model types (CoreV1Event, ...) are classes with only public data fields; its API
// takes plain object literals for them.
import type { ConfigurationOptions, CoreV1Api, V1ObjectReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, KIND } from './crd-types.ts';

export interface EventTarget {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export const COMPONENT = 'logshipper-operator';

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly identity: string;
  private readonly log: Logger;
  private readonly onWrite: () => void;

  constructor(core: CoreV1Api, identity: string, log: Logger, onWrite: () => void) {
    this.core = core;
    this.identity = identity;
    this.log = log;
    this.onWrite = onWrite;
  }

  /** Records an Event on a LogShipper; a failure is logged, never thrown (Events are best effort). */
  async record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.recordOn({ apiVersion: API_VERSION, kind: KIND, namespace: target.namespace, name: target.name, uid: target.uid, resourceVersion: target.resourceVersion }, type, reason, message);
  }

  /** Records an Event on any object (the webhook's go on pods and their owners). Best effort, like record(). */
  async recordOn(involvedObject: V1ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.send(involvedObject, type, reason, message);
    } catch (error) {
      this.log.warn({ object: describeObject(involvedObject), reason, err: (error as Error).message }, 'cannot record event');
    }
  }

  /** Creates the Event; throws what the API said (for callers that log failures their own way). `options`: per-call client options (a deadline). */
  async send(involvedObject: V1ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string, options?: ConfigurationOptions): Promise<void> {
    const now = new Date();
    const namespace = involvedObject.namespace ?? '';
    const name = involvedObject.name ?? '';
    this.onWrite();
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { namespace, generateName: `${name.replace(/[^a-z0-9.-]/g, '').replace(/^[.-]+|[.-]+$/g, '') || 'object'}.` },
        involvedObject,
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: COMPONENT },
        reportingComponent: COMPONENT,
        reportingInstance: this.identity,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    }, options);
    this.log.info({ object: describeObject(involvedObject), type, reason, event: message }, 'event recorded');
  }
}

function describeObject(involvedObject: V1ObjectReference): string {
  return `${(involvedObject.kind ?? '').toLowerCase()} ${involvedObject.namespace ?? ''}/${involvedObject.name ?? ''}`;
}
