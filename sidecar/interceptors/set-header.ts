import type { Event } from '../event.ts';

/** Sets a header on each event, keeping an existing value when asked to. */
export function setHeader(events: Event[], name: string, value: string, preserveExisting: boolean): Event[] {
  for (const event of events) {
    if (preserveExisting && name in event.headers) continue;
    event.headers[name] = value;
  }
  return events;
}
