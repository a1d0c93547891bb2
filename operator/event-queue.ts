// The webhook's Events, recorded off the admission path: the answer to the apiserver never waits on
// the Events API. Each object and reason is recorded at most once per `repeatMs` (a ReplicaSet creates
// many pods that fail alike); at most `capacity` Events wait, newer ones are dropped (and counted)
// while the Events API is slow; one Event is sent at a time, each with a deadline. A failing Events
// API is logged once when it starts failing and once when it works again, not per Event.
import type { V1ObjectReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { deadline } from './api-timeout.ts';
import type { EventRecorder } from './events.ts';
import { monotonicMs } from '../sidecar/clock.ts';

export interface EventQueueOptions {
  recorder: Pick<EventRecorder, 'send'>;
  log: Logger;
  /** Events waiting to be sent at most. */
  capacity: number;
  /** The same object and reason are recorded at most this often. */
  repeatMs: number;
  /** Deadline of one Events API call. */
  timeoutMs: number;
  now?: () => number;
}

interface Pending {
  involvedObject: V1ObjectReference;
  reason: string;
  message: string;
}

/** What enqueue() did with an Event. */
export type Enqueued = 'queued' | 'repeated' | 'dropped';

export class EventQueue {
  private readonly options: EventQueueOptions;
  private readonly now: () => number;
  private readonly pending: Pending[] = [];
  /** When each object+reason was last queued. */
  private readonly recent = new Map<string, number>();
  private sending: Promise<void> | undefined;
  private failing = false;
  private failedSince = 0;
  private dropped = 0;

  constructor(options: EventQueueOptions) {
    this.options = options;
    this.now = options.now ?? monotonicMs;
  }

  /** Queues a Warning Event on `involvedObject`; returns at once. */
  enqueue(involvedObject: V1ObjectReference, reason: string, message: string): Enqueued {
    const key = `${involvedObject.namespace ?? ''}/${involvedObject.kind ?? ''}/${involvedObject.name ?? ''}/${reason}`;
    const now = this.now();
    if (now - (this.recent.get(key) ?? Number.NEGATIVE_INFINITY) < this.options.repeatMs) return 'repeated';
    if (this.pending.length >= this.options.capacity) {
      this.dropped++;
      return 'dropped';
    }
    this.recent.set(key, now);
    if (this.recent.size > 1000) for (const [k, at] of this.recent) if (now - at >= this.options.repeatMs) this.recent.delete(k);
    this.pending.push({ involvedObject, reason, message });
    this.sending ??= this.sendAll().finally(() => {
      this.sending = undefined;
    });
    return 'queued';
  }

  /** Events waiting (for tests and shutdown). */
  get length(): number {
    return this.pending.length;
  }

  /** Resolves once the queue is empty, or after `timeoutMs` (shutdown: what is left is dropped). */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.sending, new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    })]);
    clearTimeout(timer);
  }

  private async sendAll(): Promise<void> {
    for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
      try {
        await this.options.recorder.send(next.involvedObject, 'Warning', next.reason, next.message, deadline(this.options.timeoutMs));
        if (this.failing) {
          this.failing = false;
          this.options.log.info({ failedForMs: Math.round(this.now() - this.failedSince), dropped: this.dropped }, 'events recorded again');
          this.dropped = 0;
        }
      } catch (error) {
        if (!this.failing) {
          this.failing = true;
          this.failedSince = this.now();
          this.options.log.warn({ reason: next.reason, err: (error as Error).message }, 'cannot record events (logged once until they work again)');
        }
      }
    }
  }
}
