/**
 * An event, as in Flume: an opaque body plus string headers.
 * The body stays a Buffer from the read to the Kafka record; text is decoded only where
 * an encoding must be applied or a header needs it.
 */
export interface Event {
  body: Buffer;
  headers: Record<string, string>;
}

/** Bytes an event holds in a channel (byteCapacity): the body plus its header text. */
export function eventSize(event: Event): number {
  let size = event.body.length;
  for (const key in event.headers) size += key.length + (event.headers[key]?.length ?? 0);
  return size;
}
