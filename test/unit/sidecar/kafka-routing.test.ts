// The Kafka sink's topic and key per event (sinks/routing.ts), and the configuration checks of
// topic and key templates: malformed ones, and ones naming a header no event can have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { parseAgentConfig, type AgentConfig } from '../../../sidecar/config/agent-config.ts';
import { SinkCounters } from '../../../sidecar/counters.ts';
import { copyEvent, type Event } from '../../../sidecar/event.ts';
import { capturedLogger } from '../../helpers/captured-log.ts';
import { RecordRouter, type RoutingConfig } from '../../../sidecar/sinks/routing.ts';
import { compileTemplate } from '../../../sidecar/template.ts';

function router(overrides: Partial<RoutingConfig> = {}): { route: RecordRouter; counters: SinkCounters; logs: Record<string, unknown>[] } {
  const { log, logs } = capturedLogger();
  const counters = new SinkCounters();
  const config: RoutingConfig = { topic: compileTemplate('logs'), fallbackTopic: 'fallback', key: undefined, allowTopicOverride: false, topicHeader: 'topic', ...overrides };
  return { route: new RecordRouter(config, counters, log), counters, logs };
}

function event(headers: Record<string, string>, topic?: string): Event {
  const made: Event = { body: Buffer.from('line'), headers };
  if (topic !== undefined) made.topic = compileTemplate(topic);
  return made;
}

describe('Kafka sink routing', () => {
  it('takes the topic header (allowTopicOverride), else the file group topic, else kafka.topic', () => {
    const { route } = router({ allowTopicOverride: true, topic: compileTemplate('app-%{app}') });
    assert.equal(route.topicOf(event({ topic: 'from-header', app: 'a' }, 'group')), 'from-header');
    assert.equal(route.topicOf(event({ app: 'a' }, 'group-%{app}')), 'group-a');
    assert.equal(route.topicOf(event({ app: 'a' })), 'app-a');
  });

  it('honours the file group topic when allowTopicOverride is off, and ignores a topic header then', () => {
    const { route } = router();
    assert.equal(route.topicOf(event({ topic: 'evil' }, 'group')), 'group');
    assert.equal(route.topicOf(event({ topic: 'evil' })), 'logs');
    // A copy for another channel keeps its group's topic.
    assert.equal(route.topicOf(copyEvent(event({}, 'group'))), 'group');
  });

  it('sends a record whose rendered topic is no valid name to fallbackTopic, counting each event once however often it is retried, logging once', () => {
    const { route, counters, logs } = router({ topic: compileTemplate('%{app}'), allowTopicOverride: true });
    const events = [event({ app: 'a b' }), event({ app: '' }), event({}), event({ app: 'x'.repeat(250) }), event({ app: '..' }), event({ topic: 'a/b' }), event({ app: 'ok' })];
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.deepEqual(events.map((e) => route.topicOf(e)), ['fallback', 'fallback', 'fallback', 'fallback', 'fallback', 'fallback', 'ok']);
    }
    assert.equal(counters.recordsRerouted, 6);
    assert.equal(counters.templateHeadersMissing, 1, 'the event without app, once');
    const rerouted = logs.filter((line) => String(line['msg']).startsWith('rendered topic is not a valid Kafka topic name'));
    assert.deepEqual(rerouted.map((line) => line['from']), ['%{app}', 'header topic']);
    assert.equal(logs.filter((line) => String(line['msg']).startsWith('an event lacks a header')).length, 1);
  });

  it('renders a missing header as empty (Flume), logging once per template and header', () => {
    const { route, counters, logs } = router({ topic: compileTemplate('logs-%{app}%{env}'), key: compileTemplate('%{pod}') });
    assert.equal(route.topicOf(event({ env: 'prod' })), 'logs-prod');
    assert.equal(route.topicOf(event({})), 'logs-');
    assert.equal(route.keyOf(event({})), undefined, 'an empty key is no key');
    assert.equal(counters.templateHeadersMissing, 3);
    const warned = logs.filter((line) => String(line['msg']).startsWith('an event lacks a header')).map((line) => `${String(line['template'])} ${String(line['header'])}`);
    assert.deepEqual(warned, ['logs-%{app}%{env} app', 'logs-%{app}%{env} env', '%{pod} pod']);
  });

  it('keys by the key header, else partition.key rendered', () => {
    const { route } = router({ key: compileTemplate('%{ns}/%{pod}') });
    assert.equal(route.keyOf(event({ key: 'k', ns: 'n', pod: 'p' })), 'k');
    assert.equal(route.keyOf(event({ ns: 'n', pod: 'p' })), 'n/p');
    assert.equal(router({ key: compileTemplate('fixed') }).route.keyOf(event({})), 'fixed');
    assert.equal(router().route.keyOf(event({})), undefined);
  });
});

const BASE = [
  'a.sources = s', 'a.channels = c', 'a.sinks = k', 'a.channels.c.type = memory',
  'a.sources.s.type = TAILDIR', 'a.sources.s.channels = c', 'a.sources.s.positionFile = /tmp/p.json', 'a.sources.s.filegroups = one two',
  'a.sources.s.filegroups.one = /logs/one.log', 'a.sources.s.filegroups.two = /logs/two.log', 'a.sources.s.headers.one.app = shop',
  'a.sources.s.interceptors = h', 'a.sources.s.interceptors.h.type = host',
  'a.sinks.k.type = kafka', 'a.sinks.k.channel = c', 'a.sinks.k.kafka.bootstrap.servers = k:9092',
];

function load(lines: string[]): AgentConfig {
  return parseAgentConfig(parseProperties([...BASE, ...lines].join('\n')), 'agent.properties', 'a');
}

function refuses(lines: string[], message: RegExp): void {
  assert.throws(() => load(lines), (error: unknown) => error instanceof Error && message.test(error.message), message.source);
}

describe('topic and key templates in the configuration', () => {
  it('accepts templates naming headers the events can have: static headers of any group, interceptors, fileHeaderKey', () => {
    const config = load(['a.sinks.k.kafka.topic = logs-%{app}', 'a.sinks.k.partition.key = %{host}-%{path}', 'a.sources.s.fileHeader = true', 'a.sources.s.fileHeaderKey = path',
      'a.sources.s.filegroups.two.topic = two-%{host}']);
    const sink = config.sinks[0]?.spec;
    assert.equal(sink?.type, 'kafka');
    assert.deepEqual(sink.config.topic.headers, ['app']);
    assert.deepEqual(sink.config.key?.headers, ['host', 'path']);
    assert.equal(sink.config.fallbackTopic, 'default-flume-topic', "a templated topic's fallback is Flume's default topic");
    const source = config.sources[0]?.spec;
    assert.equal(source?.type, 'taildir');
    assert.deepEqual(source.config.groups.map((group) => group.topic?.text), [undefined, 'two-%{host}']);
    assert.deepEqual(config.warnings, []);
  });

  it('falls back to a static kafka.topic by default, or to fallbackTopic', () => {
    const sink = (lines: string[]): unknown => { const spec = load(lines).sinks[0]?.spec; return spec?.type === 'kafka' ? spec.config.fallbackTopic : undefined; };
    assert.equal(sink(['a.sinks.k.kafka.topic = logs']), 'logs');
    assert.equal(sink(['a.sinks.k.kafka.topic =']), 'default-flume-topic', 'an empty topic is the default one, as in Flume');
    assert.equal(sink(['a.sinks.k.kafka.topic = logs-%{app}', 'a.sinks.k.fallbackTopic = unrouted']), 'unrouted');
  });

  it('refuses a template naming a header no event reaching the sink can have, listing those they can have', () => {
    refuses(['a.sinks.k.kafka.topic = logs-%{ap}'], /^agent\.properties:\d+: a\.sinks\.k\.kafka\.topic: invalid value "logs-%\{ap\}": %\{ap\} names a header that no event reaching this sink \(from s\) can have \(they can have app, host;/);
    refuses(['a.sinks.k.partition.key = %{pod}'], /a\.sinks\.k\.partition\.key: invalid value "%\{pod\}": %\{pod\} names a header/);
    refuses(['a.sinks.k.custom.topic.name = %{x}'], /a\.sinks\.k\.custom\.topic\.name: invalid value/);
  });

  it("refuses a file group topic naming a header that group's events cannot have (another group's static header)", () => {
    refuses(['a.sources.s.filegroups.two.topic = two-%{app}'], /a\.sources\.s\.filegroups\.two\.topic: invalid value "two-%\{app\}": %\{app\} names a header that no event of file group two can have \(they can have host;/);
  });

  it('refuses malformed templates and invalid topic names, naming key and value', () => {
    refuses(['a.sinks.k.kafka.topic = logs-%{app'], /a\.sinks\.k\.kafka\.topic: invalid value "logs-%\{app": "%\{" at position 5 is not closed by "\}"/);
    refuses(['a.sinks.k.partition.key = %{}'], /a\.sinks\.k\.partition\.key: invalid value "%\{\}": "%\{\}" at position 0 names no header/);
    refuses(['a.sinks.k.kafka.topic = my logs'], /a\.sinks\.k\.kafka\.topic: invalid value "my logs": a Kafka topic name \(1 to 249 of letters, digits, '\.', '_', '-' \(not '\.' or '\.\.'\)\) is allowed, with %\{header\} for a header's value/);
    refuses(['a.sinks.k.kafka.topic = logs/%{app}'], /a\.sinks\.k\.kafka\.topic: invalid value "logs\/%\{app\}": a Kafka topic name/);
    refuses(['a.sources.s.filegroups.one.topic = ..'], /a\.sources\.s\.filegroups\.one\.topic: invalid value "\.\.": a Kafka topic name/);
    refuses(['a.sources.s.filegroups = one one.topic', 'a.sources.s.filegroups.one.topic = /logs/x.log'], /a\.sources\.s\.filegroups: file groups one and one\.topic cannot both exist/);
    refuses(['a.sinks.k.kafka.topic = %{app}', 'a.sinks.k.fallbackTopic = x-%{app}'], /a\.sinks\.k\.fallbackTopic: invalid value "x-%\{app\}": a Kafka topic name .* is allowed, not a template/);
  });
});
