// The record timestamp parsed from the line: each format, the patterns, the fallbacks (no match,
// no valid time, too far in the future) and the settings' errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configureLineTimestamp, lineTimestamp, MAX_FUTURE_MS, parseTimestamp, TIMESTAMP_SEARCH_BYTES, type LineTimestampConfig } from '../../../sidecar/sinks/line-timestamp.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { parseProperties } from '../../../sidecar/config/properties.ts';

const NOW = Date.UTC(2026, 11, 2, 4, 0, 0);

function configure(lines: string[]): LineTimestampConfig | undefined {
  return configureLineTimestamp(new Settings('a.sinks.k.', parseProperties(lines.join('\n')), 'test.properties'));
}

function parse(lines: string[], line: string): number | undefined {
  const config = configure(lines);
  assert.ok(config !== undefined);
  return lineTimestamp(config, Buffer.from(line), NOW);
}

describe('timestamp from the line', () => {
  it('is off unless timestampFormat or timestampPattern is set', () => {
    assert.equal(configure([]), undefined);
  });

  it('finds ISO 8601 / RFC 3339 times anywhere in the line by default, with or without an offset (none: UTC)', () => {
    assert.equal(parse(['timestampFormat = iso8601'], '2026-12-01T10:20:30.456Z INFO x'), Date.UTC(2026, 11, 1, 10, 20, 30, 456));
    assert.equal(parse(['timestampFormat = iso8601'], '[main] 2026-12-01 10:20:30,5+02:00 x'), Date.UTC(2026, 11, 1, 8, 20, 30, 500));
    assert.equal(parse(['timestampFormat = iso8601'], 'at 2026-12-01T10:20:30-0130'), Date.UTC(2026, 11, 1, 11, 50, 30));
    assert.equal(parse(['timestampFormat = iso8601'], '2026-12-01T10:20:30.123456789 nanos'), Date.UTC(2026, 11, 1, 10, 20, 30, 123));
  });

  it('reads epoch seconds (with a fraction) and epoch millis', () => {
    assert.equal(parse(['timestampFormat = epoch-seconds'], 'ts=1764640000.25 msg'), 1_764_640_000_250);
    assert.equal(parse(['timestampFormat = epoch-millis'], '{"ts":1764640000123,"msg":"x"}'), 1_764_640_000_123);
  });

  it('reads the common log format', () => {
    const line = '127.0.0.1 - frank [10/Oct/2026:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326';
    assert.equal(parse(['timestampFormat = clf'], line), Date.UTC(2026, 9, 10, 20, 55, 36));
  });

  it('takes the group named timestamp, else the first group, else the whole match', () => {
    const line = 'id=2026-01-01T00:00:00Z at=2026-06-01T00:00:00Z';
    // A properties file keeps a backslash only when it is doubled (as in Flume's regex settings).
    assert.equal(parse(['timestampPattern = at=(?<timestamp>\\\\S+)'], line), Date.UTC(2026, 5, 1));
    assert.equal(parse(['timestampPattern = at=(\\\\S+)'], line), Date.UTC(2026, 5, 1));
    assert.equal(parse(['timestampPattern = \\\\d{4}-\\\\d\\\\d-\\\\d\\\\dT\\\\S+'], line), Date.UTC(2026, 0, 1));
  });

  it('falls back (undefined) when the line has no time, the time is invalid, or lies more than an hour ahead', () => {
    assert.equal(parse(['timestampFormat = iso8601'], 'no time here'), undefined);
    assert.equal(parse(['timestampFormat = iso8601'], '2026-02-30T00:00:00Z'), undefined);
    assert.equal(parse(['timestampFormat = iso8601'], '2026-13-01T00:00:00Z'), undefined);
    assert.equal(parse(['timestampFormat = iso8601'], '2026-12-01T24:00:00Z'), undefined);
    assert.equal(parse(['timestampFormat = clf'], '10/Foo/2026:13:55:36 -0700'), undefined);
    assert.equal(parse(['timestampPattern = t=(\\\\S+)', 'timestampFormat = epoch-millis'], 't=abc'), undefined);
    assert.equal(parse(['timestampFormat = epoch-millis'], String(NOW + MAX_FUTURE_MS + 1)), undefined);
    assert.equal(parse(['timestampFormat = epoch-millis'], String(NOW + MAX_FUTURE_MS)), NOW + MAX_FUTURE_MS);
    const late = `${'x'.repeat(TIMESTAMP_SEARCH_BYTES)} 2026-12-01T10:20:30Z`;
    assert.equal(parse(['timestampFormat = iso8601'], late), undefined, 'only the head of a line is searched');
  });

  it('gives back any time it formatted (ISO 8601 with offsets, epoch ms)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: NOW }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, offset) => {
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
      const sign = offset < 0 ? '-' : '+';
      const abs = Math.abs(offset);
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      assert.equal(parseTimestamp('iso8601', text), ms);
      assert.equal(parseTimestamp('epoch-millis', String(ms)), ms);
    }));
  });

  it('names the key and value it refuses', () => {
    assert.throws(() => configure(['timestampFormat = rfc822']), /a\.sinks\.k\.timestampFormat.*rfc822.*iso8601, epoch-seconds, epoch-millis, clf/s);
    assert.throws(() => configure(['timestampPattern = ([a-z']), /a\.sinks\.k\.timestampPattern.*invalid regular expression "\(\[a-z"/);
  });
});
