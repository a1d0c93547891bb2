/**
 * The one default for how large a record may be, shared by the sources (longest line) and the
 * Kafka sink (largest record batch), so that a maximal line always fits a produce request.
 *
 * The sink's limit is Kafka's producer default max.request.size; brokers accept 1,048,588 bytes
 * per record batch by default (message.max.bytes: 1 MiB plus the 12-byte log overhead), so a
 * batch the sink builds within it is never refused by a broker left at its defaults.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * Room kept beside a line for what the record adds: its key, its headers (file path, pod
 * enrichment...), the record and record-batch framing. A record whose key and headers need more
 * is cut by the sink's oversizePolicy instead of stalling the sink.
 */
export const RECORD_OVERHEAD_ALLOWANCE = 16_384;

/** Longest line (or multiline event) a source emits by default: 1,032,192 bytes. */
export const DEFAULT_MAX_LINE_BYTES = DEFAULT_MAX_MESSAGE_BYTES - RECORD_OVERHEAD_ALLOWANCE;
