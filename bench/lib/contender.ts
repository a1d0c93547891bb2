import type { Measurement } from './measure.ts';

/** Where a tailer reads from and ships to. */
export interface TailTarget {
  brokers: string;
  topic: string;
  /** The file to tail. */
  file: string;
  acks: string;
  /** Scratch folder for this run (configs, position files, logs). */
  work: string;
}

/** What one run of one contender gets: a fresh topic and its own scratch folder. */
export interface Context extends TailTarget {
  /** The input: `lines` lines of `bytes` bytes, newline included. */
  lines: number;
  bytes: number;
}

export interface Contender {
  name: string;
  describe: string;
  /** Installs or downloads what the contender needs (cached); returns its version, for the report. */
  prepare(): Promise<string>;
  run(context: Context): Promise<Measurement>;
}

/** How to start a tailer's process (its configs written into the target's scratch folder). */
export interface Launch {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A program that tails a file into Kafka until it is stopped: Flume, the Collector, TAILDIR. */
export interface Tailer {
  name: string;
  describe: string;
  prepare(): Promise<string>;
  launch(target: TailTarget): Launch;
}
