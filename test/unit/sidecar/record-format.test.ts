// The record formats' encoders: the JSON envelope (property-tested: JSON.parse gives back every
// line, escapes and invalid UTF-8 included), Flume's Avro event (bytes against a hand-worked
// encoding and a decoder written from the Avro spec; integration tests decode with Apache Avro
// itself), the format settings, and oversized records cut inside the envelope.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextDecoder } from 'node:util';
import fc from 'fast-check';
import { JsonEnvelope } from '../../../sidecar/sinks/json-envelope.ts';
import { encodeMap, FlumeAvroEvent } from '../../../sidecar/sinks/flume-avro.ts';
import { configureRecordFormat, RecordEncoder, type RecordFormatConfig } from '../../../sidecar/sinks/record-format.ts';
import { RECORD_BATCH_OVERHEAD } from '../../../sidecar/sinks/request-size.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { SinkCounters } from '../../../sidecar/counters.ts';
import type { Event } from '../../../sidecar/event.ts';

const POD = {
  'k8s.pod.name': 'web-0', 'k8s.pod.namespace': 'shop', 'k8s.pod.uid': 'u-1', 'k8s.container.name': 'app', 'k8s.node.name': 'node-1',
  'k8s.pod.label.app': 'web', 'k8s.pod.label.team': 'a"b', 'k8s.file.path': '/var/log/logshipper/volume/sub/app.log', 'env': 'prod',
};
const READ_AT = Date.UTC(2026, 11, 2, 3, 53, 11, 123);
const replacing = new TextDecoder('utf-8', { ignoreBOM: true });

function envelope(): JsonEnvelope {
  return new JsonEnvelope({ podHeaderPrefix: 'k8s.', fileHeader: 'k8s.file.path', fileRoot: '/var/log/logshipper/volume' });
}

function settings(lines: string[]): Settings {
  return new Settings('a.sinks.k.', parseProperties(lines.join('\n')), 'test.properties');
}

describe('JSON envelope', () => {
  it('puts the line, read time, file relative to the volume, pod facts and other headers under documented names', () => {
    const value = JSON.parse(envelope().encode(POD, READ_AT, Buffer.from('hello "world"\n')).toString()) as unknown;
    assert.deepEqual(value, {
      timestamp: '2026-12-02T03:53:11.123Z',
      file: 'sub/app.log',
      kubernetes: { pod_name: 'web-0', pod_namespace: 'shop', pod_uid: 'u-1', container_name: 'app', pod_node_name: 'node-1', pod_labels: { app: 'web', team: 'a"b' } },
      headers: { env: 'prod' },
      message: 'hello "world"\n',
    });
  });

  it('leaves out what no header gives, and keeps a path outside fileRoot whole', () => {
    const json = new JsonEnvelope({ podHeaderPrefix: 'k8s.', fileHeader: 'file', fileRoot: '/data' });
    assert.equal(json.encode({}, 0, Buffer.from('x')).toString(), '{"timestamp":"1970-01-01T00:00:00.000Z","message":"x"}');
    assert.equal(json.encode({ file: '/other/a.log' }, 0, Buffer.from('x')).toString(), '{"timestamp":"1970-01-01T00:00:00.000Z","file":"/other/a.log","message":"x"}');
  });

  it('follows header changes between records (the encoded headers are kept only while they stay the same)', () => {
    const json = envelope();
    const parse = (headers: Record<string, string>): unknown => (JSON.parse(json.encode(headers, READ_AT, Buffer.from('m')).toString()) as { kubernetes?: unknown }).kubernetes;
    assert.deepEqual(parse({ 'k8s.pod.name': 'a' }), { pod_name: 'a' });
    assert.deepEqual(parse({ 'k8s.pod.name': 'b' }), { pod_name: 'b' });
    assert.deepEqual(parse({ 'k8s.pod.name': 'b', 'k8s.pod.uid': 'c' }), { pod_name: 'b', pod_uid: 'c' });
    assert.deepEqual(parse({ 'k8s.pod.uid': 'c' }), { pod_uid: 'c' });
  });

  it('gives back any valid text through JSON.parse: control characters, quotes, lone surrogates (as U+FFFD in UTF-8), U+2028/2029, BOM', () => {
    const json = envelope();
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 }), { maxKeys: 4 }), (text, headers) => {
      const bytes = Buffer.from(text, 'utf8');
      const value = JSON.parse(json.encode(headers, READ_AT, bytes).toString('utf8')) as { message: string };
      assert.equal(value.message, bytes.toString('utf8'));
    }), { numRuns: 2000 });
    for (const text of ['\u2028\u2029', '\uFEFFbom', '\u0000\u001f\u007f', '\\"\\', '\ud800', '😀']) {
      assert.equal((JSON.parse(json.encode({}, 0, Buffer.from(text)).toString()) as { message: string }).message, Buffer.from(text).toString());
    }
  });

  it('gives back any bytes as the WHATWG decoder reads them (invalid UTF-8 as U+FFFD), telling which records had invalid bytes', () => {
    const json = envelope();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (array) => {
      const bytes = Buffer.from(array);
      let invalid = 0;
      const out = json.encode(POD, READ_AT, bytes, () => invalid++);
      assert.ok(Buffer.from(out.toString('utf8'), 'utf8').equals(out), 'the record is valid UTF-8');
      assert.equal((JSON.parse(out.toString('utf8')) as { message: string }).message, replacing.decode(bytes));
      assert.equal(invalid, isValidUtf8(bytes) ? 0 : 1);
    }), { numRuns: 2000 });
  });
});

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('invalid UTF-8 count', () => {
  it('counts a line with invalid bytes once, and not one holding a real U+FFFD', () => {
    const json = envelope();
    let invalid = 0;
    json.encode({}, 0, Buffer.from([0x61, 0xff, 0xfe, 0x62]), () => invalid++);
    json.encode({}, 0, Buffer.from('real \uFFFD'), () => invalid++);
    assert.equal(invalid, 1);
    assert.equal(isValidUtf8(Buffer.from([0xff])), false);
  });
});

/** Avro binary decoding of AvroFlumeEvent, written from the Avro specification (zigzag varints, map blocks). */
function decodeAvroFlumeEvent(bytes: Buffer): { headers: Record<string, string>; body: Buffer } {
  let at = 0;
  const long = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  };
  const raw = (): Buffer => {
    const length = long();
    const out = bytes.subarray(at, at + length);
    if (out.length !== length) throw new Error('truncated bytes');
    at += length;
    return out;
  };
  const entries: [string, string][] = [];
  for (let count = long(); count !== 0; count = long()) {
    if (count < 0) {
      count = -count;
      long();
    }
    for (let i = 0; i < count; i++) entries.push([raw().toString('utf8'), raw().toString('utf8')]);
  }
  const body = raw();
  if (at !== bytes.length) throw new Error(`${bytes.length - at} bytes after the event`);
  return { headers: Object.fromEntries(entries), body };
}

describe('Flume Avro event', () => {
  it('encodes as worked out by hand from the Avro spec', () => {
    const avro = new FlumeAvroEvent();
    // map block of 1 (zigzag 2), "k" (len 1 -> 2), "v", end of map (0), body len 2 (-> 4) "hi".
    assert.deepEqual([...avro.encode({ k: 'v' }, Buffer.from('hi'))], [0x02, 0x02, 0x6b, 0x02, 0x76, 0x00, 0x04, 0x68, 0x69]);
    assert.deepEqual([...avro.encode({}, Buffer.alloc(0))], [0x00, 0x00]);
    // 64 bytes: zigzag 128 = varint 0x80 0x01.
    assert.deepEqual([...avro.encode({}, Buffer.alloc(64, 0x61)).subarray(0, 3)], [0x00, 0x80, 0x01]);
    assert.deepEqual([...encodeMap({ 'é': '' })], [0x02, 0x04, 0xc3, 0xa9, 0x00, 0x00]);
  });

  it('decodes back to the headers and body, whatever they hold', () => {
    const avro = new FlumeAvroEvent();
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 80 }), { maxKeys: 8 }), fc.uint8Array({ maxLength: 20_000 }), (headers, body) => {
      const decoded = decodeAvroFlumeEvent(avro.encode(headers, Buffer.from(body)));
      assert.deepEqual(decoded.headers, Object.fromEntries(Object.entries(headers)));
      assert.ok(decoded.body.equals(Buffer.from(body)));
    }), { numRuns: 500 });
  });
});

describe('format settings', () => {
  it('defaults to raw with record headers; json and flume-event carry headers in the value', () => {
    assert.deepEqual(configureRecordFormat(settings([])), { format: 'raw', recordHeaders: true, json: { podHeaderPrefix: 'k8s.', fileHeader: 'file', fileRoot: undefined } });
    assert.equal(configureRecordFormat(settings(['format = json'])).recordHeaders, false);
    assert.equal(configureRecordFormat(settings(['format = json', 'recordHeaders = true'])).recordHeaders, true);
    assert.equal(configureRecordFormat(settings(['useFlumeEventFormat = true'])).format, 'flume-event');
    assert.equal(configureRecordFormat(settings(['useFlumeEventFormat = true', 'format = flume-event'])).format, 'flume-event');
  });

  it('names the key and the value it refuses', () => {
    assert.throws(() => configureRecordFormat(settings(['format = xml'])), /a\.sinks\.k\.format.*xml.*raw, json, flume-event/s);
    assert.throws(() => configureRecordFormat(settings(['format = json', 'useFlumeEventFormat = true'])), /useFlumeEventFormat = true asks for format flume-event.*"json"/);
    assert.throws(() => configureRecordFormat(settings(['format = json', 'json.fileRoot = var/log'])), /json\.fileRoot.*"var\/log".*absolute path/);
  });
});

function encoder(config: Partial<RecordFormatConfig>): RecordEncoder {
  return new RecordEncoder({ ...configureRecordFormat(settings([])), ...config }, new SinkCounters());
}

describe('oversized records in an envelope', () => {
  const event: Event = { body: Buffer.alloc(0), headers: POD, timestamp: READ_AT };
  const overhead = 40;

  it('split: each piece a whole JSON object within the limit, their messages the line again', () => {
    const json = encoder({ format: 'json', json: { podHeaderPrefix: 'k8s.', fileHeader: 'k8s.file.path', fileRoot: undefined } });
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 3000 }), fc.integer({ min: 400, max: 1500 }), (text, limit) => {
      const payload = Buffer.from(text, 'utf8');
      const values = json.fit(event, payload, overhead, limit, 'split').map((fitted) => fitted.value);
      const messages = values.map((value) => {
        assert.ok(value.length <= limit - RECORD_BATCH_OVERHEAD - overhead, `${value.length} bytes within the limit`);
        return (JSON.parse(value.toString()) as { message: string }).message;
      });
      assert.equal(messages.join(''), payload.toString('utf8'));
    }), { numRuns: 300 });
  });

  it('truncate: the head of the line in one whole object; skip: nothing', () => {
    const json = encoder({ format: 'json' });
    const payload = Buffer.from('\u0001'.repeat(500));
    const [value, ...rest] = json.fit(event, payload, overhead, 1000, 'truncate').map((fitted) => fitted.value);
    assert.equal(rest.length, 0);
    const message = (JSON.parse(value?.toString() ?? '') as { message: string }).message;
    assert.ok(message.length > 50 && payload.toString().startsWith(message), `${message.length} escaped control characters`);
    assert.deepEqual(json.fit(event, payload, overhead, 1000, 'skip'), []);
    assert.deepEqual(json.fit(event, payload, overhead, 200, 'split'), [], 'not even the envelope fits');
  });

  it('flume-event split: each piece a whole event with the headers', () => {
    const avro = encoder({ format: 'flume-event' });
    const payload = Buffer.from('x'.repeat(5000));
    const values = avro.fit(event, payload, overhead, 1200, 'split').map((fitted) => fitted.value);
    assert.ok(values.length > 4);
    const events = values.map(decodeAvroFlumeEvent);
    for (const value of values) assert.ok(value.length <= 1200 - RECORD_BATCH_OVERHEAD - overhead);
    assert.deepEqual(events.map((e) => e.headers), values.map(() => POD));
    assert.equal(Buffer.concat(events.map((e) => e.body)).toString(), payload.toString());
  });

  it('raw fits as before (the line itself)', () => {
    const raw = encoder({});
    assert.deepEqual(raw.fit(event, Buffer.from('abcdef'), 0, RECORD_BATCH_OVERHEAD + 4, 'split').map((fitted) => String(fitted.value)), ['abcd', 'ef']);
  });
});
