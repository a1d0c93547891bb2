/**
 * What each topic's brokers accept per record batch (max.message.bytes), as far as the sink can
 * learn it: read from the cluster when its ACLs allow, else inferred from what a broker refused.
 */
import kafkajs, { type Admin, type ConfigResourceTypes } from 'kafkajs';
import type { Logger } from '../log.ts';

/** What reading a limit needs of a kafkajs admin client. */
export type LimitAdmin = Pick<Admin, 'connect' | 'disconnect' | 'describeConfigs' | 'describeCluster'>;

/** Reads a topic's max.message.bytes; rejects when it cannot (ACLs, topic not created yet, broker down). */
export type LimitReader = (topic: string) => Promise<number>;

export interface TopicLimitsOptions {
  /** How often a topic's limit is read again (it can be altered at any time). */
  refreshMs: number;
  /** Least time between two reads of one topic's limit (after refusals, or while reads fail). */
  retryMs: number;
  now: () => number;
}

const DEFAULT_OPTIONS: TopicLimitsOptions = { refreshMs: 5 * 60_000, retryMs: 10_000, now: Date.now };

/** Topics can come from event headers: the cache starts over rather than grow without bound. */
const MAX_TOPICS = 1024;

interface Entry {
  /** As read from the cluster; undefined while unreadable. */
  read: number | undefined;
  /** Below what a broker refused when the read limit did not explain the refusal. */
  refused: number | undefined;
  readAt: number;
  /** Whether the last read failed (its failure is logged once, not on every read). */
  failing: boolean;
  /** Whether a read has finished (until then, batches wait for the first one). */
  settled: boolean;
  reading: Promise<void> | undefined;
}

export class TopicLimits {
  private readonly entries = new Map<string, Entry>();
  private readonly readLimit: LimitReader;
  private readonly log: Logger;
  private readonly options: TopicLimitsOptions;

  constructor(read: LimitReader, log: Logger, options: Partial<TopicLimitsOptions> = {}) {
    this.readLimit = read;
    this.log = log;
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  /**
   * Reads the limit of each topic seen for the first time (waiting for it, so that the first
   * batch is already cut to size) and, in the background, of topics last read refreshMs ago
   * (retryMs ago when that read failed).
   */
  async learn(topics: Iterable<string>): Promise<void> {
    const first: Promise<void>[] = [];
    for (const topic of topics) {
      const entry = this.entries.get(topic);
      if (entry === undefined || !entry.settled) first.push(this.read(topic));
      // A failed read (broker not up yet, say) is tried again soon, a good one only now and then.
      else if (this.options.now() - entry.readAt >= (entry.failing ? this.options.retryMs : this.options.refreshMs)) void this.read(topic);
    }
    await Promise.all(first);
  }

  /** The largest record batch `topic` accepts as far as known (Infinity when nothing is known). */
  limitOf(topic: string): number {
    const entry = this.entries.get(topic);
    return Math.min(entry?.read ?? Infinity, entry?.refused ?? Infinity);
  }

  /**
   * A broker refused a record batch of `bytes` for `topic`: its limit is read again (unless read
   * within retryMs); when that does not explain the refusal, the limit is taken to be half of
   * `bytes`, so that retries shrink until they fit.
   */
  async refused(topic: string, bytes: number): Promise<void> {
    const entry = this.entries.get(topic);
    if (entry === undefined || this.options.now() - entry.readAt >= this.options.retryMs) await this.read(topic);
    const current = this.entries.get(topic);
    if (current !== undefined && (current.read ?? Infinity) >= bytes) {
      current.refused = Math.min(current.refused ?? Infinity, Math.floor(bytes / 2));
      this.log.warn({ topic, refusedBytes: bytes, assumedMaxMessageBytes: current.refused },
        "broker refused a record batch as too large and the topic's max.message.bytes does not say why: sending smaller batches");
    }
  }

  private read(topic: string): Promise<void> {
    let entry = this.entries.get(topic);
    if (entry?.reading !== undefined) return entry.reading;
    if (entry === undefined) {
      if (this.entries.size >= MAX_TOPICS) this.entries.clear();
      entry = { read: undefined, refused: undefined, readAt: 0, failing: false, settled: false, reading: undefined };
      this.entries.set(topic, entry);
    }
    const target = entry;
    target.reading = this.readLimit(topic).then((limit) => {
      if (limit !== target.read) this.log.info({ topic, maxMessageBytes: limit }, "read the topic's max.message.bytes");
      target.read = limit;
      target.refused = undefined;
      target.failing = false;
    }, (error: unknown) => {
      if (!target.failing) {
        this.log.info({ topic, err: (error as Error).message },
          "cannot read the topic's max.message.bytes (not fatal): record batches are cut to max.message.size and to what brokers refuse");
      }
      target.failing = true;
    }).finally(() => {
      target.readAt = this.options.now();
      target.settled = true;
      target.reading = undefined;
    });
    return target.reading;
  }
}

/**
 * Reads the topic's max.message.bytes with the admin client or, when the topic's configuration
 * cannot be described (e.g. it does not exist yet and will be auto-created), a broker's
 * message.max.bytes, which a new topic inherits.
 */
export function adminLimitReader(admin: LimitAdmin): LimitReader {
  let connected: Promise<void> | undefined;
  return async (topic) => {
    connected ??= admin.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    await connected;
    // A default import: Node cannot see this export of kafkajs's CommonJS index by name.
    const { ConfigResourceTypes: types } = kafkajs;
    try {
      return await describeLimit(admin, types.TOPIC, topic, 'max.message.bytes');
    } catch (topicError) {
      const broker = (await admin.describeCluster()).brokers[0];
      if (broker === undefined) throw topicError;
      return await describeLimit(admin, types.BROKER, String(broker.nodeId), 'message.max.bytes').catch((brokerError: unknown) => {
        throw new Error(`topic: ${(topicError as Error).message}; broker ${broker.nodeId}: ${(brokerError as Error).message}`);
      });
    }
  };
}

async function describeLimit(admin: LimitAdmin, type: ConfigResourceTypes, name: string, configName: string): Promise<number> {
  const { resources } = await admin.describeConfigs({ resources: [{ type, name, configNames: [configName] }], includeSynonyms: false });
  const resource = resources[0];
  if (resource === undefined) throw new Error(`no answer for ${configName}`);
  if (resource.errorCode !== 0) throw new Error(`${configName}: ${resource.errorMessage || `error code ${resource.errorCode}`}`);
  const value = resource.configEntries.find((entry) => entry.configName === configName)?.configValue;
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error(`${configName} is "${String(value)}", not a positive integer`);
  return limit;
}
