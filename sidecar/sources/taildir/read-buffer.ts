import type { Event } from '../../event.ts';

/**
 * Share of a read buffer the events sliced from it must use for the buffer to be handed over to
 * them; below it their bodies are copied out and the buffer is read into again. An event keeps
 * its whole backing buffer alive while the channel counts its body bytes only: so a handed-over
 * buffer is at most 4/3 of the bytes the channel counts for it.
 */
const KEEP_SHARE = 3 / 4;

/**
 * Copies the bodies of `events[from..]` that are slices of `buffer` into one buffer (the span from
 * the first to the end of the last: lines of one chunk lie in order, a newline apart), unless they
 * use at least KEEP_SHARE of `buffer`. Returns whether `buffer` may be read into again.
 */
export function detachFromReadBuffer(events: Event[], from: number, buffer: Buffer): boolean {
  const backing = buffer.buffer;
  let bytes = 0;
  let low = Infinity;
  let high = 0;
  for (let i = from; i < events.length; i++) {
    const body = events[i]?.body;
    if (body?.buffer !== backing) continue;
    bytes += body.length;
    low = Math.min(low, body.byteOffset);
    high = Math.max(high, body.byteOffset + body.length);
  }
  if (bytes >= buffer.length * KEEP_SHARE) return false;
  if (low === Infinity) return true; // none sliced from it
  const copy = Buffer.from(backing.slice(low, high));
  for (let i = from; i < events.length; i++) {
    const event = events[i];
    if (event?.body.buffer !== backing) continue;
    const start = event.body.byteOffset - low;
    event.body = copy.subarray(start, start + event.body.length);
  }
  return true;
}
