/**
 * Where the kafkajs that the sink's patches (kafkajs-fast.ts, kafkajs-idle.ts) were written for is
 * installed. They replace internals that only this version is known to have.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const KAFKAJS_VERSION = '2.2.4';

/** The installed kafkajs's folder (ending in `/`) if it is KAFKAJS_VERSION, else undefined. */
export function patchableKafkajsRoot(): string | undefined {
  try {
    const manifest = require.resolve('kafkajs/package.json');
    if ((require(manifest) as { version?: string }).version !== KAFKAJS_VERSION) return undefined;
    return manifest.slice(0, -'package.json'.length);
  } catch {
    return undefined;
  }
}
