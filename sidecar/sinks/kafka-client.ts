/**
 * The Kafka sink's clients (producer and admin), built from credentials read from their files and
 * rebuilt when those files change (a Secret volume's `..data` swap, watched as the config file is);
 * a new OAUTHBEARER token for the same principal is handed to the clients in place instead.
 */
import { ConfigWatcher } from '../config/watch.ts';
import type { Logger } from '../log.ts';
import type { KafkaSecurity } from './kafka-config.ts';
import { bearerTokenOf, connectionDigest, CredentialError, credentialFiles, credentialsDigest, describeCredentials, loadCredentials, type KafkaCredentials, type ReadFile } from './kafka-credentials.ts';
import { adminLimitReader, type LimitAdmin, type LimitReader } from './topic-limits.ts';
import type { Producer } from 'kafkajs';

/** What the sink uses of kafkajs: a producer, and an admin client to read topics' size limits. */
export interface KafkaClients {
  producer: Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;
  admin: LimitAdmin;
}

/** `bearerToken` gives the newest OAUTHBEARER token at each (re-)authentication. */
export type BuildClients = (credentials: KafkaCredentials, bearerToken: () => string) => KafkaClients;

/** A delivery's hold on the current clients: the clients are not replaced until it is released. */
export interface Lease {
  producer: KafkaClients['producer'];
  release(): void;
}

interface Current {
  clients: KafkaClients;
  /** What they were built from, or since given (a new token). */
  credentials: KafkaCredentials;
  digest: string;
  connected: Promise<void> | undefined;
  readLimit: LimitReader;
}

export interface RotatingClientsOptions {
  /** How often the files are read again besides watching their directories (ConfigWatcher's poll). */
  pollMs?: number;
  read?: ReadFile;
}

/**
 * Hands deliveries a connected producer and swaps in new clients when a credential file changes.
 *
 * The order of a swap matters: (1) no new delivery takes the old clients, (2) the deliveries in
 * flight finish on them, so their acknowledgements commit their batches (and move the sources'
 * checkpoints) as always, (3) only then is the old producer disconnected, (4) the next delivery
 * connects the new one. Disconnecting first would fail deliveries midway (kafkajs waits for the
 * requests already queued on a connection, but a batch cut into several requests, or one not yet
 * queued, meets "The producer is disconnected"): the runner would send the whole batch again,
 * duplicating the requests already acknowledged. Letting new deliveries start on the old clients
 * would never let the swap happen under a steady stream.
 */
export class RotatingClients {
  private readonly security: KafkaSecurity;
  private readonly build: BuildClients;
  private readonly log: Logger;
  private readonly brokers: readonly string[];
  private readonly read: ReadFile | undefined;
  private readonly pollMs: number | undefined;
  private current: Current | undefined;
  private leases = 0;
  private drained: (() => void) | undefined;
  /** Set while a swap waits for the leases in flight; new deliveries wait for it. */
  private swapping: Promise<void> | undefined;
  /** Rotations one after another: the files of one Secret change together and each fires its watcher. */
  private rotations: Promise<void> = Promise.resolve();
  private watchers: ConfigWatcher[] = [];
  /** The refused content last logged, so a bad file is reported once, not on every poll. */
  private refused: string | undefined;

  constructor(security: KafkaSecurity, brokers: readonly string[], build: BuildClients, log: Logger, options: RotatingClientsOptions = {}) {
    this.security = security;
    this.brokers = brokers;
    this.build = build;
    this.log = log;
    this.read = options.read;
    this.pollMs = options.pollMs;
  }

  /** Starts watching the credential files. */
  watch(): void {
    this.watchers = credentialFiles(this.security).map((file) => new ConfigWatcher(file, () => {
      this.rotations = this.rotations.then(() => this.rotate());
    }, this.pollMs));
    if (this.watchers.length > 0) this.log.debug({ files: credentialFiles(this.security) }, 'watching the Kafka credential files');
  }

  /** Builds (reading the credential files) and connects the clients as needed; throws CredentialError when a file cannot be used. */
  async acquire(): Promise<Lease> {
    while (this.swapping !== undefined) await this.swapping;
    const current = this.current ?? (this.current = this.create(loadCredentials(this.security, this.read)));
    this.leases++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--this.leases === 0) this.drained?.();
    };
    try {
      current.connected ??= current.clients.producer.connect().then(() => {
        this.log.info({ brokers: this.brokers }, 'connected to Kafka');
      }, (error: unknown) => {
        current.connected = undefined;
        throw error;
      });
      await current.connected;
    } catch (error) {
      release();
      throw error;
    }
    return { producer: current.clients.producer, release };
  }

  /** Reads a topic's limit with the admin client of the moment (TopicLimits takes a failure as "unknown for now"). */
  readonly readLimit: LimitReader = async (topic) => {
    if (this.current === undefined) throw new Error('no Kafka client yet (its credentials could not be read)');
    return this.current.readLimit(topic);
  };

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    await this.rotations;
    const current = this.current;
    this.current = undefined;
    if (current !== undefined) await disconnect(current.clients);
  }

  /** Reads the files again; when they hold valid credentials different from the current ones, swaps in clients built from them. */
  async rotate(): Promise<void> {
    let credentials: KafkaCredentials;
    try {
      credentials = loadCredentials(this.security, this.read);
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      if (this.refused !== error.message) {
        this.refused = error.message;
        this.log.error({ file: error.file, key: error.key, problem: error.message },
          `new Kafka credentials refused: ${error.message}; ${this.current === undefined ? 'still not connected' : 'the client keeps its current credentials'} until the file is valid`);
      }
      return;
    }
    this.refused = undefined;
    const digest = credentialsDigest(credentials);
    const old = this.current;
    // Not built yet: the next delivery reads the files anyway.
    if (old === undefined || old.digest === digest) return;
    if (connectionDigest(old.credentials) === connectionDigest(credentials)) {
      old.credentials = credentials;
      old.digest = digest;
      this.log.info({ ...describeCredentials(credentials), files: credentialFiles(this.security) }, 'OAUTHBEARER token changed: each connection takes it at its next (re-)authentication, no reconnect');
      return;
    }
    let open = (): void => undefined;
    this.swapping = new Promise<void>((resolve) => (open = resolve));
    const inFlight = this.leases;
    try {
      if (inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      await disconnect(old.clients);
      this.current = this.create(credentials);
      this.log.info({ ...describeCredentials(credentials), files: credentialFiles(this.security), waitedForDeliveries: inFlight }, 'Kafka credentials changed: client rebuilt after the deliveries in flight completed');
    } finally {
      this.swapping = undefined;
      open();
    }
  }

  private create(credentials: KafkaCredentials): Current {
    const holder: { current?: Current } = {};
    const clients = this.build(credentials, () => bearerTokenOf(holder.current?.credentials ?? credentials));
    holder.current = { clients, credentials, digest: credentialsDigest(credentials), connected: undefined, readLimit: adminLimitReader(clients.admin) };
    return holder.current;
  }
}

async function disconnect(clients: KafkaClients): Promise<void> {
  // A producer that never connected, or whose broker is gone, has nothing to wait for.
  await Promise.all([clients.producer.disconnect(), clients.admin.disconnect()].map((closing) => closing.catch(() => undefined)));
}
