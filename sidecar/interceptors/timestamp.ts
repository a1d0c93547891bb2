import type { Settings } from '../config/settings.ts';
import type { Interceptor } from './interceptor.ts';
import { headerInterceptor } from './set-header.ts';

/** Flume's TimestampInterceptor: the time the event was seen, in epoch milliseconds. */
export function configureTimestamp(settings: Settings): Interceptor {
  const header = settings.string('headerName', 'timestamp');
  const preserveExisting = settings.bool('preserveExisting', false);
  return headerInterceptor(header, () => String(Date.now()), preserveExisting);
}
