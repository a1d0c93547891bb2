/**
 * Which topic and key each record of the Kafka sink gets. The topic is, first match:
 *   1. the event's topic header, when allowTopicOverride (Flume's override);
 *   2. its file group's topic (TAILDIR `filegroups.<g>.topic`), whatever allowTopicOverride says;
 *   3. `kafka.topic`.
 * The latter two are `%{header}` templates. A topic that is not a valid Kafka topic name (a header
 * missing or holding other characters) would be refused by the broker forever: such a record
 * goes to fallbackTopic instead. The key is the event's `key` header, else `partition.key`
 * rendered; an empty key is no key. A header a template needs and the event lacks renders
 * empty (as in Flume). Each such event is counted once, and each template/header logged once.
 */
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { SinkCounters } from '../counters.ts';
import type { KafkaSinkConfig } from './kafka-config.ts';
import { isStatic, renderTemplate, type Template } from '../template.ts';
import { isValidTopicName, TOPIC_NAME_ALLOWED } from './topic-name.ts';

/** Flume's KafkaSink takes the record key from this event header. */
export const KEY_HEADER = 'key';

export type RoutingConfig = Pick<KafkaSinkConfig, 'topic' | 'fallbackTopic' | 'key' | 'allowTopicOverride' | 'topicHeader'>;

export class RecordRouter {
  private readonly config: RoutingConfig;
  private readonly counters: SinkCounters;
  private readonly log: Logger;
  /** Events already counted (a batch can be retried: each event counts once). */
  private readonly countedMissing = new WeakSet<Event>();
  private readonly countedRerouted = new WeakSet<Event>();
  /** What was logged: template text + header name, or where an invalid topic came from. Bounded by the configuration. */
  private readonly logged = new Set<string>();
  /** The event being routed, for the missing-header callback (one bound function, not a closure per event). */
  private current: Event | undefined;
  private template: Template | undefined;
  private readonly onMissing = (header: string): void => {
    this.missing(header);
  };

  constructor(config: RoutingConfig, counters: SinkCounters, log: Logger) {
    this.config = config;
    this.counters = counters;
    this.log = log;
  }

  topicOf(event: Event): string {
    const { allowTopicOverride, topicHeader } = this.config;
    const fromHeader = allowTopicOverride ? event.headers[topicHeader] : undefined;
    if (fromHeader !== undefined) return this.valid(event, fromHeader, `header ${topicHeader}`);
    const template = event.topic ?? this.config.topic;
    // A static topic was checked when the configuration was read.
    if (isStatic(template)) return template.text;
    return this.valid(event, this.render(event, template), template.text);
  }

  keyOf(event: Event): string | undefined {
    const fromHeader = event.headers[KEY_HEADER];
    if (fromHeader !== undefined) return fromHeader;
    const { key } = this.config;
    if (key === undefined) return undefined;
    const rendered = isStatic(key) ? key.text : this.render(event, key);
    return rendered === '' ? undefined : rendered;
  }

  private render(event: Event, template: Template): string {
    this.current = event;
    this.template = template;
    return renderTemplate(template, event.headers, this.onMissing);
  }

  private missing(header: string): void {
    const event = this.current;
    if (event !== undefined && !this.countedMissing.has(event)) {
      this.countedMissing.add(event);
      this.counters.templateHeadersMissing++;
    }
    const template = this.template?.text ?? '';
    const seen = `${template}\u0000${header}`;
    if (this.logged.has(seen)) return;
    this.logged.add(seen);
    this.log.warn({ template, header }, 'an event lacks a header its topic or key template needs: it renders as empty (logged once per template and header)');
  }

  /** `topic` when Kafka accepts the name, else fallbackTopic (counted, logged once per origin). */
  private valid(event: Event, topic: string, origin: string): string {
    if (isValidTopicName(topic)) return topic;
    if (!this.countedRerouted.has(event)) {
      this.countedRerouted.add(event);
      this.counters.recordsRerouted++;
    }
    const seen = `topic\u0000${origin}`;
    if (!this.logged.has(seen)) {
      this.logged.add(seen);
      this.log.warn({ from: origin, topic, fallbackTopic: this.config.fallbackTopic, allowed: TOPIC_NAME_ALLOWED },
        'rendered topic is not a valid Kafka topic name: the record goes to fallbackTopic (logged once per template)');
    }
    return this.config.fallbackTopic;
  }
}
