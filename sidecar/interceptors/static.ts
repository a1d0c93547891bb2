import type { Settings } from '../config/settings.ts';
import type { Interceptor } from './interceptor.ts';
import { headerInterceptor } from './set-header.ts';

/** Flume's StaticInterceptor: one fixed header. */
export function configureStatic(settings: Settings): Interceptor {
  const key = settings.string('key', 'key');
  const value = settings.string('value', 'value');
  const preserveExisting = settings.bool('preserveExisting', true);
  return headerInterceptor(key, () => value, preserveExisting);
}
