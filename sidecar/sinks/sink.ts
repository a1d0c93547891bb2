import type { Event } from '../event.ts';

/** A sink delivers batches; the runner around it owns the channel transaction, retries and backoff. */
export interface Sink {
  /** Most events per delivery (the take transaction's size). */
  readonly batchSize: number;
  /** Most body+header bytes per delivery (one event larger than this goes alone); none: batchSize alone. */
  readonly batchBytes?: number;
  /** How long a batch waits to fill once its first event is there (Kafka's linger.ms); a full one (batchSize, batchBytes) goes at once. */
  readonly lingerMs: number;
  /** Most batches on their way at once while deliveries succeed (Kafka's max.in.flight.requests.per.connection). */
  readonly maxInFlight: number;
  start(): Promise<void>;
  /**
   * Resolves when every event is delivered (acknowledged as configured); rejects otherwise, and
   * the batch is retried. A sink with maxInFlight > 1 calls `written` once the batch is on its
   * way, ahead of any later one: the runner sends the next batch only then (or once this one settled).
   */
  deliver(events: readonly Event[], written: () => void): Promise<void>;
  stop(): Promise<void>;
}
