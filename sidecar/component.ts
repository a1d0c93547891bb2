import type { Deadline } from './deadline.ts';
import type { Logger } from './log.ts';

/** Every running part of the agent (source, sink runner) has this lifecycle. */
export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How a source ended: `failed` when, e.g., its command could not run or exited non-zero. */
export type SourceOutcome = 'completed' | 'failed';

/** A source: reads events and puts them into its channels. */
export interface Source extends Lifecycle {
  /**
   * Stops reading. A put still waiting for room waits until `deadline` (without one: a durable
   * source gives up at once, as its checkpoint stays before what was not put; others wait for room).
   */
  stop(deadline?: Deadline): Promise<void>;
  /**
   * The agent stops for good (SIGTERM): read what is left to read (open files to their end, and
   * on while they grow as `options` says), emit what is held (incomplete last lines, pending
   * multiline events) and put it all, giving up at `deadline`. stop() follows. Sources without
   * input of their own to finish do without.
   */
  drain?(deadline: Deadline, options: DrainOptions): Promise<void>;
  /**
   * Resolves once the source has nothing more to read (its command exited for good, its
   * sequence is complete), with whether it ended well; never for a source that waits for
   * input, such as a server.
   */
  finished(): Promise<SourceOutcome>;
  /**
   * Called after the sinks have drained (stop() only stops reading): a durable source persists
   * the checkpoints its delivered events earned, and releases its files.
   */
  close?(): Promise<void>;
  /** File sources: the state behind the per-file lag and input-quality metrics. */
  report?(): SourceReport;
}

/** How a drain ends before its deadline. */
export interface DrainOptions {
  /**
   * Read on what the files gain until none has grown for this long (ms): an app stopped at the
   * same time as the agent may still be writing its last lines. 0: each file is read to its end
   * as it is when the drain begins.
   */
  quietMs: number;
}

/** What a file source reports for metrics: its files' offsets and what it met in its input. */
export interface SourceReport {
  files: readonly { path: string; size: number; committedOffset: number }[];
  /** Lines longer than the maximum, split or truncated. */
  longLines: number;
  /** Byte sequences invalid in the source's encoding, replaced. */
  invalidSequences: number;
  /** Files renamed away or deleted while tailed. */
  rotations: number;
  /** Files truncated in place (copytruncate), read again from the start. */
  truncations: number;
  /** Files not read because their real path is outside the source's confinement, by reason; each counted once. */
  filesRefused: Readonly<Record<string, number>>;
}

/** What a component gets when it is created. */
export interface ComponentContext {
  /** Flume name, e.g. `r` for `producer.sinks.r`. */
  name: string;
  log: Logger;
}
