/**
 * What a Kafka record's value is made of (`format`): the line itself (raw, the default), a JSON
 * envelope (json-envelope.ts) or Flume's Avro event (flume-avro.ts), and whether the event's
 * headers also go out as Kafka record headers. One seam for the three: the sink hands the line's
 * bytes (after custom.encoding) and gets the value, or the values it is cut into when too large.
 */
import type { Settings } from '../config/settings.ts';
import type { Event } from '../event.ts';
import type { SinkCounters } from '../counters.ts';
import type { OversizePolicy } from './kafka-config.ts';
import { fitEncoded, type FittedPiece } from './request-size.ts';
import { JsonEnvelope, type JsonEnvelopeConfig } from './json-envelope.ts';
import { FlumeAvroEvent } from './flume-avro.ts';

export const RECORD_FORMATS = ['raw', 'json', 'flume-event'] as const;
export type RecordFormatName = (typeof RECORD_FORMATS)[number];

export const FORMAT_KEY = 'format';
/** Flume's KafkaSink key for the Avro event format. */
export const FLUME_EVENT_FORMAT_KEY = 'useFlumeEventFormat';
export const RECORD_HEADERS_KEY = 'recordHeaders';
export const JSON_POD_HEADER_PREFIX_KEY = 'json.podHeaderPrefix';
export const JSON_FILE_HEADER_KEY = 'json.fileHeader';
export const JSON_FILE_ROOT_KEY = 'json.fileRoot';

/** TAILDIR's fileHeaderKey default, and the operator's enrichment headerPrefix default. */
const DEFAULT_FILE_HEADER = 'file';
const DEFAULT_POD_HEADER_PREFIX = 'k8s.';

export interface RecordFormatConfig {
  format: RecordFormatName;
  /** Whether the event headers are also Kafka record headers (default: only for raw, the others carry them in the value). */
  recordHeaders: boolean;
  json: JsonEnvelopeConfig;
}

export function configureRecordFormat(settings: Settings): RecordFormatConfig {
  const flumeEvent = settings.bool(FLUME_EVENT_FORMAT_KEY, false);
  const format = settings.oneOf(FORMAT_KEY, RECORD_FORMATS, flumeEvent ? 'flume-event' : 'raw');
  if (flumeEvent && format !== 'flume-event') {
    throw settings.error(FORMAT_KEY, `${settings.prefix}${FLUME_EVENT_FORMAT_KEY} = true asks for format flume-event, but ${settings.prefix}${FORMAT_KEY} is "${format}": keep one of the two`);
  }
  const fileRoot = settings.string(JSON_FILE_ROOT_KEY);
  if (fileRoot !== undefined && !fileRoot.startsWith('/')) {
    throw settings.error(JSON_FILE_ROOT_KEY, `invalid directory "${fileRoot}": an absolute path is allowed, e.g. /var/log/app`);
  }
  return {
    format,
    recordHeaders: settings.bool(RECORD_HEADERS_KEY, format === 'raw'),
    json: {
      podHeaderPrefix: settings.string(JSON_POD_HEADER_PREFIX_KEY, DEFAULT_POD_HEADER_PREFIX),
      fileHeader: settings.string(JSON_FILE_HEADER_KEY, DEFAULT_FILE_HEADER),
      fileRoot,
    },
  };
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** When the source read the event (the envelope's timestamp); now for an event without one. */
function readTime(event: Event): number {
  return event.timestamp ?? Date.now();
}

/** Encodes records' values in the configured format. */
export class RecordEncoder {
  private readonly config: RecordFormatConfig;
  private readonly counters: SinkCounters;
  private readonly json: JsonEnvelope;
  private readonly avro = new FlumeAvroEvent();

  constructor(config: RecordFormatConfig, counters: SinkCounters) {
    this.config = config;
    this.counters = counters;
    this.json = new JsonEnvelope(config.json);
  }

  /** The Kafka record headers of `event`. */
  headersOf(event: Event): Readonly<Record<string, string>> {
    return this.config.recordHeaders ? event.headers : NO_HEADERS;
  }

  /** The record value of `event`, whose line (after custom.encoding) is `payload`. */
  value(event: Event, payload: Buffer): Buffer {
    return this.encode(event, readTime(event), payload, this.countInvalidUtf8);
  }

  /**
   * The values `event` is sent as when its record is too large for a record batch of
   * `limitBytes` (see fitEncoded): the line is cut, never the envelope, so that each value is a
   * whole JSON object or Avro event holding a piece of the line.
   */
  fit(event: Event, payload: Buffer, overhead: number, limitBytes: number, policy: OversizePolicy): FittedPiece[] {
    // One read time for all pieces, as for one line.
    const time = readTime(event);
    return fitEncoded(payload, (piece) => this.encode(event, time, piece), overhead, limitBytes, policy);
  }

  private encode(event: Event, time: number, payload: Buffer, onInvalidUtf8?: () => void): Buffer {
    switch (this.config.format) {
      case 'raw': return payload;
      case 'json': return this.json.encode(event.headers, time, payload, onInvalidUtf8);
      case 'flume-event': return this.avro.encode(event.headers, payload);
    }
  }

  /** Bound once: not a closure per record. */
  private readonly countInvalidUtf8 = (): void => {
    this.counters.invalidUtf8Records++;
  };
}
