import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Settings } from '../../config/settings.ts';
import { compileFilePattern, type FilePattern } from './pattern.ts';
import type { Encoding, LongLinePolicy } from '../line-reader.ts';
import type { MultilineConfig } from './multiline.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../../size-limits.ts';
import type { Template } from '../../template.ts';
import { topicTemplate } from '../../sinks/kafka-config.ts';

export const TAILDIR_SOURCE_TYPES = ['TAILDIR', 'org.apache.flume.source.taildir.TaildirSource'] as const;

/** logshipper's key confining a TAILDIR source to a directory (the operator renders it too). */
export const CONFINE_TO_KEY = 'confineTo';

/** logshipper's key: how long a caught-up TAILDIR source waits before it reads the next writes. */
export const READ_INTERVAL_KEY = 'readInterval';

/**
 * The caught-up read cadence: a file written at any rate is read (a stat, a read and a put) at
 * most 4 times a second, and the sink's batching window (linger.ms) gathers those puts into
 * requests. Lines wait up to this long to be read.
 */
export const DEFAULT_READ_INTERVAL_MS = 250;

/** Flume's byteOffsetHeader sets this header. */
export const BYTE_OFFSET_HEADER = 'byteoffset';

/** logshipper's key of a file group's Kafka topic: `filegroups.<g>.topic`. */
export function groupTopicKey(group: string): string {
  return `filegroups.${group}.topic`;
}

/** One `filegroups.<g>` entry: which files, the static headers their events get, and their topic. */
export interface FileGroup {
  name: string;
  pattern: FilePattern;
  headers: Readonly<Record<string, string>>;
  /** The Kafka topic of the group's events (a `%{header}` template), instead of the sink's `kafka.topic`. */
  topic: Template | undefined;
}

export interface TaildirConfig {
  groups: FileGroup[];
  positionFile: string;
  /** Files not in the position file at start-up begin at their end instead of their start. */
  skipToEnd: boolean;
  fileHeader: boolean;
  fileHeaderKey: string;
  /** Flume's byteOffsetHeader: the line's start offset in its file as header `byteoffset`. */
  byteOffsetHeader: boolean;
  batchSize: number;
  /** Batches read from one file before the next file gets its turn (Flume's maxBatchCount). */
  maxBatchCount: number;
  idleTimeoutMs: number;
  writePosIntervalMs: number;
  /** How often files are checked for growth, truncation, rotation and idleness without a watcher event (the watcher's safety net). */
  pollIntervalMs: number;
  /** How often the directories are listed again without a watcher event. */
  rescanIntervalMs: number;
  /** Once every file is read to its end, how long until the next read (a file that is behind is read on at once). */
  readIntervalMs: number;
  /** How long a file that left its pattern (renamed or deleted) is still read while it grows. */
  rotateWaitMs: number;
  maxLineLength: number;
  maxLineLengthPolicy: LongLinePolicy;
  /** How long an incomplete last line waits for its newline before it is emitted (0: forever). */
  partialLineTimeoutMs: number;
  encoding: Encoding;
  multiline: MultilineConfig | undefined;
  /** Only files whose real path (symlinks resolved) is inside this directory are read; undefined: any (Flume). */
  confineTo: string | undefined;
}

/** Spellings accepted for `encoding`, with what they mean. */
const ENCODINGS: Readonly<Record<string, Encoding>> = {
  'UTF-8': 'utf8', UTF8: 'utf8',
  'ISO-8859-1': 'latin1', latin1: 'latin1', 'ISO8859_1': 'latin1',
  'UTF-16LE': 'utf16le', UTF16LE: 'utf16le',
};

export function configureTaildirSource(settings: Settings): TaildirConfig {
  const names = settings.list('filegroups');
  if (names.length === 0) settings.required('filegroups', 'space-separated names of file groups, each with a filegroups.<name> path');
  const groups = names.map((name): FileGroup => {
    const key = `filegroups.${name}`;
    const path = settings.required(key, 'an absolute path whose last component is a regular expression on file names, or a glob such as /logs/**/*.log');
    if (!isAbsolute(path)) throw settings.error(key, `invalid value "${path}": an absolute path is allowed`);
    let pattern: FilePattern;
    try {
      pattern = compileFilePattern(path);
    } catch (error) {
      throw settings.error(key, `invalid value "${path}": ${(error as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const [header, property] of settings.group(`headers.${name}.`)) headers[header] = property.value.trim();
    const topicKey = groupTopicKey(name);
    if (names.includes(`${name}.topic`)) throw settings.error('filegroups', `file groups ${name} and ${name}.topic cannot both exist: ${settings.prefix}${topicKey} would be the path of one and the topic of the other`);
    const topic = settings.has(topicKey) ? topicTemplate(settings, topicKey, '') : undefined;
    return { name, pattern, headers, topic };
  });

  const encodingName = settings.oneOf('encoding', Object.keys(ENCODINGS), 'UTF-8');
  const encoding = ENCODINGS[encodingName] ?? 'utf8';
  const maxLineLength = settings.int('maxLineLength', DEFAULT_MAX_LINE_BYTES, { min: 64 });
  const config: TaildirConfig = {
    groups,
    positionFile: settings.string('positionFile', join(homedir(), '.flume', 'taildir_position.json')),
    skipToEnd: settings.bool('skipToEnd', false),
    fileHeader: settings.bool('fileHeader', false),
    fileHeaderKey: settings.string('fileHeaderKey', 'file'),
    byteOffsetHeader: settings.bool('byteOffsetHeader', false),
    batchSize: settings.int('batchSize', 100, { min: 1 }),
    maxBatchCount: settings.int('maxBatchCount', 10, { min: 1 }),
    idleTimeoutMs: settings.int('idleTimeout', 120_000, { min: 1 }),
    writePosIntervalMs: settings.int('writePosInterval', 3000, { min: 1 }),
    pollIntervalMs: settings.int('pollInterval', 10_000, { min: 1 }),
    rescanIntervalMs: settings.int('rescanInterval', 10_000, { min: 1 }),
    readIntervalMs: settings.int(READ_INTERVAL_KEY, DEFAULT_READ_INTERVAL_MS, { min: 1, max: 60_000 }),
    rotateWaitMs: settings.int('rotateWait', 5000, { min: 0 }),
    // Even, so that a UTF-16 line is never cut inside a code unit.
    maxLineLength: encoding === 'utf16le' ? maxLineLength - (maxLineLength % 2) : maxLineLength,
    maxLineLengthPolicy: settings.oneOf('maxLineLengthPolicy', ['split', 'truncate'], 'split'),
    partialLineTimeoutMs: settings.int('partialLineTimeout', 5000, { min: 0 }),
    encoding,
    multiline: configureMultiline(settings, maxLineLength),
    confineTo: settings.string(CONFINE_TO_KEY),
  };
  if (!isAbsolute(config.positionFile)) throw settings.error('positionFile', `invalid value "${config.positionFile}": an absolute path is allowed`);
  if (config.confineTo !== undefined && !isAbsolute(config.confineTo)) {
    throw settings.error(CONFINE_TO_KEY, `invalid value "${config.confineTo}": an absolute directory path is allowed`);
  }
  // Flume's polling back-off keys mean nothing here (reads are woken by the watcher); accepted and checked.
  settings.int('backoffSleepIncrement', 1000, { min: 0 });
  settings.int('maxBackoffSleep', 5000, { min: 0 });
  settings.bool('cachePatternMatching', true);
  return config;
}

function configureMultiline(settings: Settings, maxLineLength: number): MultilineConfig | undefined {
  const start = settings.string('multiline.startPattern');
  const continuation = settings.string('multiline.continuationPattern');
  if (start !== undefined && continuation !== undefined) {
    throw settings.error('multiline.continuationPattern', 'cannot be set together with multiline.startPattern: choose one mode');
  }
  const maxLines = settings.int('multiline.maxLines', 500, { min: 1 });
  const maxBytes = settings.int('multiline.maxBytes', maxLineLength, { min: 64 });
  const flushTimeoutMs = settings.int('multiline.flushTimeout', 1000, { min: 1 });
  if (start === undefined && continuation === undefined) return undefined;
  const key = start === undefined ? 'multiline.continuationPattern' : 'multiline.startPattern';
  const source = start ?? continuation ?? '';
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (error) {
    throw settings.error(key, `invalid value "${source}": a regular expression is allowed (${(error as Error).message})`);
  }
  return { mode: start === undefined ? 'continuation' : 'start', pattern, maxLines, maxBytes, flushTimeoutMs };
}
