import type { Event } from '../event.ts';
import type { Interceptor } from './interceptor.ts';

/** An interceptor setting header `name` on each event to `value()`, keeping an existing value when asked to. */
export function headerInterceptor(name: string, value: () => string, preserveExisting: boolean): Interceptor {
  const intercept = (events: Event[]): Event[] => {
    const text = value();
    for (const event of events) {
      if (preserveExisting && name in event.headers) continue;
      event.headers[name] = text;
    }
    return events;
  };
  return Object.assign(intercept, { header: name });
}
