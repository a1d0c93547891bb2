/**
 * Stops kafkajs 2.2.4 from waking the process while it has nothing to send. Each broker
 * connection's RequestQueue keeps two timers for its whole life:
 *  - scheduleCheckPendingRequests re-arms itself with `throttledUntil - Date.now()`, negative
 *    when there is no throttling (throttledUntil starts at -1): Node runs it after 1 ms, so every
 *    connection spins a 1 ms loop over an empty queue (~900 wake-ups/s for the agent's two
 *    connections, about 5 % of a core idle; kafkajs issues 1556, 1704);
 *  - scheduleRequestTimeoutCheck runs a 100 ms interval from connect to disconnect, looking for
 *    timed-out requests even when none is in flight.
 * Here the pending check is scheduled only while a request waits in the queue (only push()
 * queues one, and it schedules the check; a reply or a timeout checks the queue itself), and the
 * timeout check runs only while a request is queued or in flight, at kafkajs's own cadence. The
 * requests sent, their order and their timeouts are kafkajs's (test/unit/sidecar/kafkajs-idle.test.ts).
 * Another kafkajs version is left untouched.
 */
import { createRequire } from 'node:module';
import { patchableKafkajsRoot } from './kafkajs-root.ts';

const require = createRequire(import.meta.url);

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (not exported): the pending re-check while not throttled. */
const CHECK_PENDING_MS = 10;
/** kafkajs's cap on the timeout check's interval (Math.min(requestTimeout, 100) in scheduleRequestTimeoutCheck). */
const TIMEOUT_CHECK_MAX_MS = 100;

/** What this file reads and sets on kafkajs's RequestQueue (src/network/requestQueue/index.js). */
interface RequestQueueInternals {
  pending: unknown[];
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  requestTimeoutIntervalId: NodeJS.Timeout | undefined;
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  isConnected(): boolean;
  checkPendingRequests(): void;
  destroy(): void;
}

interface RequestQueuePrototype {
  push: (this: RequestQueueInternals, request: unknown) => void;
  destroy: (this: RequestQueueInternals) => void;
  scheduleRequestTimeoutCheck: (this: RequestQueueInternals) => void;
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

/** Set by scheduleRequestTimeoutCheck (at connect), cleared by destroy (at disconnect). */
const ENFORCING = Symbol('logshipper:enforcingRequestTimeout');
type Queue = RequestQueueInternals & { [ENFORCING]?: boolean };

/** Whether kafkajs's request queues run with the changes above (false: another kafkajs version). */
export const kafkajsIdlePatched = install();

function install(): boolean {
  const root = patchableKafkajsRoot();
  if (root === undefined) return false;
  // A class: patching its prototype reaches every queue, whenever kafkajs was loaded.
  const proto = (require(`${root}src/network/requestQueue/index.js`) as { prototype: RequestQueuePrototype }).prototype;
  patchRequestQueue(proto);
  return true;
}

/** Replaces four methods on kafkajs's RequestQueue prototype. */
function patchRequestQueue(proto: RequestQueuePrototype): void {
  const originalPush = proto.push;
  const originalDestroy = proto.destroy;

  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: Queue): void {
    if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttledFor > 0 ? throttledFor : CHECK_PENDING_MS);
  };

  proto.scheduleRequestTimeoutCheck = function scheduleRequestTimeoutCheck(this: Queue): void {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this[ENFORCING] = true;
  };

  proto.push = function push(this: Queue, request: unknown): void {
    originalPush.call(this, request);
    if (this[ENFORCING] === true) armTimeoutCheck(this);
  };

  proto.destroy = function destroy(this: Queue): void {
    originalDestroy.call(this);
    this.requestTimeoutIntervalId = undefined;
    this[ENFORCING] = false;
  };
}

/** kafkajs's timeout check, running only until nothing is queued or in flight. */
function armTimeoutCheck(queue: Queue): void {
  if (queue.requestTimeoutIntervalId !== undefined || (queue.inflight.size === 0 && queue.pending.length === 0)) return;
  const interval = setInterval(() => {
    for (const request of queue.inflight.values()) {
      if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
    }
    if (!queue.isConnected()) {
      queue.destroy();
    } else if (queue.inflight.size === 0 && queue.pending.length === 0) {
      clearInterval(interval);
      queue.requestTimeoutIntervalId = undefined;
    }
  }, Math.min(queue.requestTimeout, TIMEOUT_CHECK_MAX_MS));
  queue.requestTimeoutIntervalId = interval;
}
