/**
 * Kafka's rules for a topic name (org.apache.kafka.common.internals.Topic.validate): 1 to 249 of
 * letters, digits, '.', '_', '-', and neither '.' nor '..'. A broker refuses any other name, and
 * the sink would retry such a record forever: names built per event are checked before sending.
 */

export const MAX_TOPIC_NAME_LENGTH = 249;
/** The characters of a topic name, as a regex class body (the CRD's patterns use it). */
export const TOPIC_CHARS = 'A-Za-z0-9._-';
export const TOPIC_NAME_ALLOWED = `1 to ${MAX_TOPIC_NAME_LENGTH} of letters, digits, '.', '_', '-' (not '.' or '..')`;

/** Whether Kafka accepts `name` as a topic name; loops rather than matching, as it runs for each record with a rendered topic. */
export function isValidTopicName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_TOPIC_NAME_LENGTH && name !== '.' && name !== '..' && hasOnlyTopicChars(name);
}

/** Whether every character of `text` may be in a topic name. */
export function hasOnlyTopicChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const valid = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d;
    if (!valid) return false;
  }
  return true;
}
