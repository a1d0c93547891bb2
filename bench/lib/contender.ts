import type { Measurement } from './measure.ts';

/** What one run of one contender gets: a fresh topic and its own scratch folder. */
export interface Context {
  brokers: string;
  topic: string;
  /** The input: `lines` lines of `bytes` bytes, newline included. */
  file: string;
  lines: number;
  bytes: number;
  acks: string;
  /** Scratch folder for this run (configs, position files, logs). */
  work: string;
}

export interface Contender {
  name: string;
  describe: string;
  /** Installs or downloads what the contender needs (cached); returns its version, for the report. */
  prepare(): Promise<string>;
  run(context: Context): Promise<Measurement>;
}
