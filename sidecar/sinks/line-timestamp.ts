/**
 * The record timestamp parsed from the line (`timestampFormat`, optionally `timestampPattern`):
 * the line's own time, so that a backlog keeps when things happened. A line that does not match,
 * or whose time does not parse, keeps its read time: counted, never an error.
 */
import type { Settings } from '../config/settings.ts';

export const TIMESTAMP_FORMATS = ['iso8601', 'epoch-seconds', 'epoch-millis', 'clf'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

export const TIMESTAMP_PATTERN_KEY = 'timestampPattern';
export const TIMESTAMP_FORMAT_KEY = 'timestampFormat';

/** Only the head of a line is searched: timestamps lead lines, and a long line must not cost a long search. */
export const TIMESTAMP_SEARCH_BYTES = 4096;

/**
 * How far past the read time a parsed timestamp may lie: Kafka 4.0's default
 * message.timestamp.after.max.ms, past which a broker refuses the whole batch.
 */
export const MAX_FUTURE_MS = 3_600_000;

/** Where each format is found in a line when no timestampPattern says. */
const DEFAULT_PATTERNS: Record<TimestampFormat, string> = {
  'iso8601': String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}:?\d{2})?`,
  'epoch-seconds': String.raw`(?<!\d)\d{9,10}(?:\.\d+)?(?![\d.])`,
  'epoch-millis': String.raw`(?<!\d)\d{12,13}(?![\d.])`,
  'clf': String.raw`\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}`,
};

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?$/;
const CLF = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export interface LineTimestampConfig {
  format: TimestampFormat;
  /** Finds the timestamp: the group named `timestamp`, else group 1, else the whole match. */
  pattern: RegExp;
}

/** The line-timestamp settings, or undefined when neither key is set (nothing is parsed). */
export function configureLineTimestamp(settings: Settings): LineTimestampConfig | undefined {
  if (!settings.has([TIMESTAMP_FORMAT_KEY, TIMESTAMP_PATTERN_KEY])) return undefined;
  const format = settings.oneOf(TIMESTAMP_FORMAT_KEY, TIMESTAMP_FORMATS, 'iso8601');
  const source = settings.string(TIMESTAMP_PATTERN_KEY) ?? DEFAULT_PATTERNS[format];
  if (source === '') throw settings.error(TIMESTAMP_PATTERN_KEY, 'empty pattern: a regular expression finding the time in the line is allowed');
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (error) {
    throw settings.error(TIMESTAMP_PATTERN_KEY, `invalid regular expression "${source}" (${(error as Error).message}): a JavaScript regular expression is allowed, its group named "timestamp" or its first group (else the whole match) holding the time`);
  }
  return { format, pattern };
}

/**
 * The epoch ms of the time in `line`, or undefined when the line has none that parses or it lies
 * more than MAX_FUTURE_MS after `readTime` (a broker would refuse the batch).
 */
export function lineTimestamp(config: LineTimestampConfig, line: Buffer, readTime: number): number | undefined {
  const text = line.toString('utf8', 0, Math.min(line.length, TIMESTAMP_SEARCH_BYTES));
  const match = config.pattern.exec(text);
  if (match === null) return undefined;
  const value = match.groups?.['timestamp'] ?? match[1] ?? match[0];
  const ms = parseTimestamp(config.format, value);
  if (ms === undefined || ms < 0 || ms > readTime + MAX_FUTURE_MS) return undefined;
  return ms;
}

/** The epoch ms `value` stands for in `format`, or undefined when it is not one. */
export function parseTimestamp(format: TimestampFormat, value: string): number | undefined {
  switch (format) {
    case 'iso8601': return parseIso(value);
    case 'epoch-seconds': return /^\d+(?:\.\d+)?$/.test(value) ? Math.floor(Number(value) * 1000) : undefined;
    case 'epoch-millis': return /^\d+$/.test(value) ? Number(value) : undefined;
    case 'clf': return parseClf(value);
  }
}

/** RFC 3339 / ISO 8601 extended: date, `T` or space, time, optional fraction (ms kept), offset (none: UTC). */
function parseIso(value: string): number | undefined {
  const match = ISO.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  return utc(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second), ms, offsetMinutes(offset));
}

/** Common log format: `02/Jan/2006:15:04:05 -0700`. */
function parseClf(value: string): number | undefined {
  const match = CLF.exec(value);
  if (match === null) return undefined;
  const [, day, monthName, year, hour, minute, second, offset] = match;
  const month = MONTHS.indexOf((monthName ?? '').toLowerCase()) + 1;
  if (month === 0) return undefined;
  return utc(Number(year), month, Number(day), Number(hour), Number(minute), Number(second), 0, offsetMinutes(offset));
}

/** `Z`, `+hh:mm`, `+hhmm` in minutes east of UTC; none is UTC. */
function offsetMinutes(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z' || offset === 'z') return 0;
  const digits = offset.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** Epoch ms of a local time at `offset` minutes east of UTC, or undefined when a field is out of range (e.g. 31 April). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, offset: number | undefined): number | undefined {
  if (offset === undefined || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined;
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offset * 60_000;
}
