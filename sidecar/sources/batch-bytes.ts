/**
 * Bytes of event bodies after which a source puts what it read, whatever its batchSize: with
 * long lines, batchSize events would otherwise be held by the source (500 pieces of a 1 MiB
 * maxLineLength: 500 MB). Ordinary lines (500 x 200 bytes) put at batchSize long before this.
 */
export const BATCH_BYTES = 1024 * 1024;
