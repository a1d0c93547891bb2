// kafkajs compresses and decompresses record batches with the codecs in its CompressionCodecs
// registry, and ships gzip only: here all four, Kafka's formats (compression.ts). Imported by
// kafka.ts after kafkajs-fast.ts, which must patch kafkajs before it loads.
// A default import: Node's detection of CommonJS named exports does not find CompressionCodecs.
import kafkajs, { type CompressionTypes } from 'kafkajs';
import { codecOf, compressionId, COMPRESSIONS, LEVELS, type Codec, type Compression } from './compression.ts';

/** kafkajs's codec shape: compress gets its Encoder (the records as `buffer`). */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const registry = kafkajs.CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;

/** Registers `codec()` under `value`, built on first use: a native package loads only when its codec is used. */
function register(value: number, codec: () => Codec): void {
  let entry: KafkajsCodec | undefined;
  registry[value] = () => {
    if (entry === undefined) {
      const built = codec();
      entry = { compress: (encoder) => built.compress(encoder.buffer), decompress: (buffer) => built.decompress(buffer) };
    }
    return entry;
  };
}

// Each id's own entry, at the default level: what kafkajs compresses with at that id, and how it
// decompresses the batches it reads (at any level).
for (const compression of COMPRESSIONS) {
  if (compression !== 'none') register(compressionId(compression), () => codecOf(compression));
}

/** The registry values of codecs at levels other than their default, by `<codec>:<level>`. */
const leveled = new Map<string, number>();

/**
 * The `compression` value to hand kafkajs's sendBatch for `compression` at `level`. kafkajs
 * writes `compression & 7` into a batch's attributes (the codec's id) and looks the codec up by
 * the whole value, so a codec at another level than its default is registered under its id plus
 * a multiple of 8: a value kafkajs's CompressionTypes enum does not name, which it takes all the same.
 */
export function kafkajsCompression(compression: Compression, level: number | undefined): CompressionTypes {
  // Typed through unknown: the leveled values are not members of the enum.
  const value: unknown = kafkajsValue(compression, level);
  return value as CompressionTypes;
}

function kafkajsValue(compression: Compression, level: number | undefined): number {
  const id = compressionId(compression);
  if (compression === 'none' || compression === 'snappy' || level === undefined || level === LEVELS[compression].default) return id;
  const name = `${compression}:${String(level)}`;
  let value = leveled.get(name);
  if (value === undefined) {
    value = id + 8 * (leveled.size + 1);
    register(value, () => codecOf(compression, level));
    leveled.set(name, value);
  }
  return value;
}
