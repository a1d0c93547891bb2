// ns per line of each record format's encoder, on the lines of a typical application log (with
// and without characters JSON escapes), beside a byte-by-byte JSON escaper written for the
// comparison (the envelope's message is V8's JSON.stringify because it measured faster).
//   node bench/record-format.ts [--rounds 3]
import { parseArgs } from 'node:util';
import { JsonEnvelope } from '../sidecar/sinks/json-envelope.ts';
import { FlumeAvroEvent } from '../sidecar/sinks/flume-avro.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const HEADERS = {
  'k8s.pod.name': 'web-7d9f8-abcde', 'k8s.pod.namespace': 'shop', 'k8s.pod.uid': '6f1e2c3a-1111-2222-3333-444455556666',
  'k8s.container.name': 'app', 'k8s.node.name': 'node-1', 'k8s.pod.label.app': 'web', 'k8s.file.path': '/var/log/logshipper/volume/app.log',
};
const LINES = 1000;
const SETS = {
  'plain': Array.from({ length: LINES }, (_, i) => Buffer.from(`2026-12-02T03:53:11.123Z INFO [exec-${i}] c.e.shop.OrderController - order ${i} placed by user u${i} total=12.50 EUR path=/api/orders/${i}`)),
  'quotes, backslashes': Array.from({ length: LINES }, (_, i) => Buffer.from(`2026-12-02T03:53:11.123Z INFO [exec-${i}] c.e.shop.OrderController - order ${i} placed by user "u${i}" total=12.50 EUR path=C:\\orders\\${i}`)),
};

const ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
/** The alternative measured: the message escaped byte by byte straight into the record's Buffer (valid UTF-8 assumed). */
function handEscaped(prefix: Buffer, payload: Buffer): Buffer {
  let extra = 0;
  for (const byte of payload) if (byte < 0x20 || byte === 0x22 || byte === 0x5c) extra += ESCAPES[byte] === undefined ? 5 : 1;
  const out = Buffer.allocUnsafe(prefix.length + payload.length + extra + 2);
  let at = prefix.copy(out, 0);
  let from = 0;
  for (let i = 0; i < payload.length; i++) {
    const byte = payload[i] ?? 0;
    if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c) continue;
    at += payload.copy(out, at, from, i);
    at += out.write(ESCAPES[byte] ?? `\\u00${byte.toString(16).padStart(2, '0')}`, at, 'latin1');
    from = i + 1;
  }
  at += payload.copy(out, at, from);
  out.write('"}', at, 'latin1');
  return out;
}

function measure(encode: (line: Buffer) => Buffer, lines: Buffer[]): number {
  for (let r = 0; r < 100; r++) for (const line of lines) encode(line);
  const repeats = 1000;
  const start = process.hrtime.bigint();
  for (let r = 0; r < repeats; r++) for (const line of lines) encode(line);
  return Number(process.hrtime.bigint() - start) / (repeats * lines.length);
}

const timestamp = Date.now();
const json = new JsonEnvelope({ podHeaderPrefix: 'k8s.', fileHeader: 'k8s.file.path', fileRoot: '/var/log/logshipper/volume' });
const prefix = Buffer.from(json.encode(HEADERS, timestamp, Buffer.alloc(0)).toString().replace(/""}$/, '"'));
const avro = new FlumeAvroEvent();
const encoders: Record<string, (line: Buffer) => Buffer> = {
  'raw (copy)': (line) => Buffer.from(line),
  'json': (line) => json.encode(HEADERS, timestamp, line),
  'json, hand escaper': (line) => handEscaped(prefix, line),
  'flume-event': (line) => avro.encode(HEADERS, line),
};
console.log('| encoder | lines | ns/line (best of rounds) |\n| --- | --- | --- |');
for (const [set, lines] of Object.entries(SETS)) {
  for (const [name, encode] of Object.entries(encoders)) {
    const best = Math.min(...Array.from({ length: Number(values.rounds) }, () => measure(encode, lines)));
    console.log(`| ${name} | ${set} | ${best.toFixed(0)} |`);
  }
}
