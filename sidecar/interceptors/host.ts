import { hostname, networkInterfaces } from 'node:os';
import type { Settings } from '../config/settings.ts';
import type { Interceptor } from './interceptor.ts';
import { headerInterceptor } from './set-header.ts';

/** Flume's HostInterceptor: the agent's IP address (default) or host name. */
export function configureHost(settings: Settings): Interceptor {
  const header = settings.string('hostHeader', 'host');
  const useIP = settings.bool('useIP', true);
  const preserveExisting = settings.bool('preserveExisting', false);
  const host = useIP ? firstAddress() : hostname();
  return headerInterceptor(header, () => host, preserveExisting);
}

function firstAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && address.family === 'IPv4') return address.address;
    }
  }
  return '127.0.0.1';
}
