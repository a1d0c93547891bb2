import type { Event } from '../event.ts';
import type { Settings } from '../config/settings.ts';
import { configureTimestamp } from './timestamp.ts';
import { configureHost } from './host.ts';
import { configureStatic } from './static.ts';

/** Changes a batch of events on their way from a source to its channels (Flume's Interceptor). */
export interface Interceptor {
  (events: Event[]): Event[];
  /** The header it sets: templates are checked against the headers events can have. */
  readonly header: string;
}

interface InterceptorType {
  names: readonly string[];
  configure(settings: Settings): Interceptor;
}

/** Flume's aliases and builder class names. */
const TYPES: readonly InterceptorType[] = [
  { names: ['timestamp', 'org.apache.flume.interceptor.TimestampInterceptor$Builder'], configure: configureTimestamp },
  { names: ['host', 'org.apache.flume.interceptor.HostInterceptor$Builder'], configure: configureHost },
  { names: ['static', 'org.apache.flume.interceptor.StaticInterceptor$Builder'], configure: configureStatic },
];

/** The interceptor chain of a source: `interceptors = i1 i2` with `interceptors.i1.type = ...`. */
export function configureInterceptors(settings: Settings): Interceptor[] {
  return settings.list('interceptors').map((name) => {
    const nested = settings.nested(`interceptors.${name}.`);
    const type = nested.required('type', `interceptor type: ${TYPES.map((t) => t.names[0]).join(', ')}`);
    const found = TYPES.find((candidate) => candidate.names.some((alias) => alias.toLowerCase() === type.toLowerCase()));
    if (found === undefined) {
      throw nested.error('type', `unknown interceptor type "${type}": allowed are ${TYPES.flatMap((t) => t.names).join(', ')}`);
    }
    return found.configure(nested);
  });
}
