/**
 * Loaded with `node --import` ahead of the compiled agent: resolves the agent's Kafka sink
 * module (sidecar/sinks/kafka) to the @platformatic/kafka sink beside this file, so the agent
 * runs unchanged otherwise (same source, channel, runner, flags). Benchmarks only.
 */
import { registerHooks } from 'node:module';

const SINK = /\/sidecar\/sinks\/kafka\.js$/;
const REPLACEMENT = new URL('./platformatic-sink.js', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    return SINK.test(resolved.url) ? { ...resolved, url: REPLACEMENT } : resolved;
  },
});
