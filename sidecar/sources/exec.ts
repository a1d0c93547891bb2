import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Source, SourceOutcome } from '../component.ts';
import type { Settings } from '../config/settings.ts';
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { ChannelProcessor } from '../channels/processor.ts';
import type { Deadline } from '../deadline.ts';
import { LineReader } from './line-reader.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../size-limits.ts';
import { BATCH_BYTES } from './batch-bytes.ts';

export const EXEC_SOURCE_TYPES = ['exec', 'org.apache.flume.source.ExecSource'] as const;

/** Charsets in which a newline is the byte 0x0A, so lines can be split without decoding. */
const CHARSETS = ['UTF-8', 'US-ASCII', 'ISO-8859-1'] as const;

export interface ExecSourceConfig {
  command: string;
  /** e.g. `/bin/sh -c`: run the command through it. Without it the command is split on whitespace, as Flume does. */
  shell: string | undefined;
  restart: boolean;
  restartThrottleMs: number;
  logStdErr: boolean;
  batchSize: number;
  batchTimeoutMs: number;
  /** Longer lines are truncated (counted): a line is held whole until its newline. */
  maxLineLength: number;
}

export function configureExecSource(settings: Settings): ExecSourceConfig {
  const config: ExecSourceConfig = {
    command: settings.required('command', 'the command whose output lines become events, e.g. tail -F /var/log/app.log'),
    shell: settings.string('shell'),
    restart: settings.bool('restart', false),
    restartThrottleMs: settings.int('restartThrottle', 10_000, { min: 0 }),
    logStdErr: settings.bool('logStdErr', false),
    batchSize: settings.int('batchSize', 20, { min: 1 }),
    batchTimeoutMs: settings.int('batchTimeout', 3000, { min: 1 }),
    maxLineLength: settings.int('maxLineLength', DEFAULT_MAX_LINE_BYTES, { min: 1 }),
  };
  settings.oneOf('charset', CHARSETS, 'UTF-8');
  return config;
}

/**
 * Flume's exec source: runs a command (typically `tail -F file`) and makes an event of each
 * line it prints. While the channel has no room the source stops reading the child's stdout,
 * so back-pressure reaches the child through the pipe instead of losing lines.
 */
export class ExecSource implements Source {
  private readonly config: ExecSourceConfig;
  private readonly processor: ChannelProcessor;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private child: ReturnType<typeof spawn> | undefined;
  private loop: Promise<SourceOutcome> | undefined;
  private batch: Event[] = [];
  private batchBytes = 0;
  private putting: Promise<void> = Promise.resolve();
  /** Aborted at the deadline of stop(): puts give up, and the command's output is no longer waited for. */
  private readonly giveUp = new AbortController();
  private givenUp = 0;

  constructor(config: ExecSourceConfig, processor: ChannelProcessor, log: Logger) {
    this.config = config;
    this.processor = processor;
    this.log = log;
  }

  async start(): Promise<void> {
    this.loop = this.run();
    return Promise.resolve();
  }

  finished(): Promise<SourceOutcome> {
    return this.loop ?? Promise.resolve('completed');
  }

  /**
   * Stops the command (SIGTERM) and reads what it printed until its output closes, putting it
   * all. At `deadline` (without one: never) the puts give up and the command is killed (SIGKILL),
   * its output left unread.
   */
  async stop(deadline?: Deadline): Promise<void> {
    const abandon = (): void => {
      this.giveUp.abort();
      this.child?.kill('SIGKILL');
      this.child?.stdout?.destroy();
    };
    deadline?.signal.addEventListener('abort', abandon, { once: true });
    try {
      this.stopping.abort();
      this.child?.kill('SIGTERM');
      await this.loop;
      await this.putting;
    } finally {
      deadline?.signal.removeEventListener('abort', abandon);
    }
    if (this.givenUp > 0) this.log.warn({ events: this.givenUp }, 'drain deadline passed: output of the command not put into the channel, given up');
  }

  private async run(): Promise<SourceOutcome> {
    const signal = this.stopping.signal;
    const stopped = (): boolean => signal.aborted; // read after each await, not narrowed once
    while (!stopped()) {
      const code = await this.runChild();
      if (stopped()) break;
      if (!this.config.restart) {
        this.log[code === 0 ? 'info' : 'error']({ exitCode: code }, 'command exited; restart is off, so the source is done');
        return code === 0 ? 'completed' : 'failed';
      }
      this.log.warn({ exitCode: code, restartInMs: this.config.restartThrottleMs }, 'command exited; restarting it');
      await sleep(this.config.restartThrottleMs, undefined, { signal }).catch(() => undefined);
    }
    return 'completed';
  }

  private async runChild(): Promise<number | null> {
    const { command, shell, logStdErr } = this.config;
    const argv = shell === undefined ? command.trim().split(/\s+/) : [...shell.trim().split(/\s+/), command];
    const [file = '', ...args] = argv;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', logStdErr ? 'pipe' : 'ignore'] });
    this.child = child;
    const exited = once(child, 'close').then(([code]) => code as number | null, () => null);
    child.on('error', (error) => {
      this.log.error({ err: error, command }, 'cannot run command');
    });
    if (logStdErr && child.stderr !== null) {
      const stderrLines = LineReader.forStream(4096);
      child.stderr.on('data', (chunk: Buffer) => {
        stderrLines.pushNext(chunk, (line) => {
          this.log.info({ stderr: line.toString('utf8') }, 'command stderr');
        });
      });
    }
    const timer = setInterval(() => {
      if (this.batch.length > 0) void this.flush();
    }, this.config.batchTimeoutMs);
    try {
      const lines = LineReader.forStream(this.config.maxLineLength);
      let timestamp = Date.now();
      const onLine = (line: Buffer): void => {
        this.batch.push({ body: line, headers: {}, timestamp });
        this.batchBytes += line.length;
      };
      // Async iteration reads the next chunk only after the loop body finished: awaiting the
      // channel here leaves the pipe unread, and the child blocks on a full pipe.
      if (child.stdout !== null) {
        try {
          for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
            timestamp = Date.now();
            const longBefore = lines.counters.longLines;
            lines.pushNext(chunk, onLine);
            if (lines.counters.longLines > longBefore) this.log.warn({ maxLineLength: this.config.maxLineLength, longLines: lines.counters.longLines }, 'line longer than maxLineLength truncated');
            if (this.batch.length >= this.config.batchSize || this.batchBytes >= BATCH_BYTES) await this.flush();
          }
        } catch (error) {
          // stop() destroyed the output at its deadline.
          if (!this.giveUp.signal.aborted) throw error;
        }
      }
      // The last line, when the output does not end with a newline.
      lines.flushPartial(onLine);
      await this.flush();
    } finally {
      clearInterval(timer);
    }
    return exited;
  }

  /** Hands the current batch to the channels; puts are chained so batches stay in order. */
  private flush(): Promise<void> {
    if (this.batch.length === 0) return this.putting;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.putting = this.putting.then(() => this.processor.put(batch, this.giveUp.signal)).catch((error: unknown) => {
      if (this.giveUp.signal.aborted) this.givenUp += batch.length;
      else this.log.error({ err: error }, 'cannot put events into the channel');
    });
    return this.putting;
  }
}
