import type { Settings } from '../config/settings.ts';
import type { Interceptor } from './interceptor.ts';
import { setHeader } from './set-header.ts';

/** Flume's TimestampInterceptor: the time the event was seen, in epoch milliseconds. */
export function configureTimestamp(settings: Settings): Interceptor {
  const header = settings.string('headerName', 'timestamp');
  const preserveExisting = settings.bool('preserveExisting', false);
  return (events) => setHeader(events, header, String(Date.now()), preserveExisting);
}
