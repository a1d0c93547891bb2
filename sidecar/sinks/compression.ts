import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { constants as zlibConstants, gzip, unzip, zstdCompress, zstdDecompress, type ZstdOptions } from 'node:zlib';

/**
 * Kafka's record batch compression codecs, in the order of their ids in a batch's attributes
 * (bits 0-2): none 0, gzip 1, snappy 2, lz4 3, zstd 4.
 */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** The id Kafka writes in a record batch's attributes for `compression`. */
export function compressionId(compression: Compression): number {
  return COMPRESSIONS.indexOf(compression);
}

export interface LevelRange {
  min: number;
  max: number;
  /** Kafka's default; for gzip outside min..max (-1: zlib's own default, 6). */
  default: number;
}

/**
 * Compression levels as Kafka 3.8 defines them (`compression.<codec>.level`, KIP-390): gzip 1..9
 * or -1, lz4 1..17 (default 9), zstd -131072..22 (default 3). Snappy has none.
 */
export const LEVELS = {
  gzip: { min: 1, max: 9, default: -1 },
  lz4: { min: 1, max: 17, default: 9 },
  zstd: { min: -131_072, max: 22, default: 3 },
} as const satisfies Record<string, LevelRange>;

/**
 * Whether the agent takes `level` for `compression` (`compression.<codec>.level`): Kafka's range,
 * except lz4, whose encoder here (lz4-napi) has LZ4's fast mode only, i.e. Kafka's default 9.
 * None and snappy have no levels.
 */
export function levelAllowed(compression: Compression, level: number): boolean {
  if (compression === 'none' || compression === 'snappy') return false;
  const range = LEVELS[compression];
  if (compression === 'lz4') return level === range.default;
  return level === range.default || (Number.isInteger(level) && level >= range.min && level <= range.max);
}

/** The levels levelAllowed takes, as error messages say them. */
export function allowedLevels(compression: Compression): string {
  if (compression === 'none' || compression === 'snappy') return `no level (${compression} has none)`;
  const range = LEVELS[compression];
  if (compression === 'lz4') return `${String(range.default)} (Kafka's default, LZ4's fast mode: the agent's LZ4 encoder has no high-compression levels, Kafka's ${String(range.min)}..${String(range.max)} other than ${String(range.default)}; zstd compresses better)`;
  return range.default < range.min
    ? `an integer ${String(range.min)}..${String(range.max)}, or ${String(range.default)} (the default)`
    : `an integer ${String(range.min)}..${String(range.max)} (default ${String(range.default)})`;
}

/** Compresses a record batch's records and decompresses them again. */
export interface Codec {
  compress(records: Buffer): Promise<Buffer>;
  decompress(compressed: Buffer): Promise<Buffer>;
}

/** The native packages behind snappy and lz4: each ships prebuilt binaries per platform as optional packages. */
const NATIVE_PACKAGES = { snappy: 'snappy', lz4: 'lz4-napi' } as const;

/**
 * Why `compression` cannot run here (its native package has no binary for this platform), or
 * undefined when it can. gzip and zstd are Node's own (zlib).
 */
export function unavailable(compression: Compression): string | undefined {
  if (compression !== 'snappy' && compression !== 'lz4') return undefined;
  try {
    loadNative(compression);
    return undefined;
  } catch (error) {
    return `${compression} needs the native package ${NATIVE_PACKAGES[compression]}, which does not load on ${process.platform}-${process.arch} (${(error as Error).message.split('\n')[0] ?? ''})`;
  }
}

/** The codec for `compression` at `level` (LEVELS' default when undefined; ignored by snappy). */
export function codecOf(compression: Exclude<Compression, 'none'>, level?: number): Codec {
  switch (compression) {
    case 'gzip': return gzipCodec(level ?? LEVELS.gzip.default);
    case 'snappy': return snappyCodec();
    // lz4-napi has LZ4's fast mode only: Kafka's default level (9) means that mode too.
    case 'lz4': return lz4Codec();
    case 'zstd': return zstdCodec(level ?? LEVELS.zstd.default);
  }
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);
const zstdCompressAsync = promisify<Buffer, ZstdOptions, Buffer>(zstdCompress);
const zstdDecompressAsync = promisify(zstdDecompress);

function gzipCodec(level: number): Codec {
  return {
    compress: (records) => gzipAsync(records, { level }),
    // unzip, as kafkajs's own codec: gzip or zlib-wrapped deflate alike.
    decompress: (compressed) => unzipAsync(compressed),
  };
}

function zstdCodec(level: number): Codec {
  return {
    compress: (records) => zstdCompressAsync(records, { params: { [zlibConstants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: records.length }),
    decompress: (compressed) => zstdDecompressAsync(compressed),
  };
}

interface SnappyModule {
  compress(input: Uint8Array): Promise<Buffer>;
  uncompress(input: Uint8Array, options: { asBuffer: true }): Promise<Buffer>;
}

interface Lz4Module {
  compressFrame(input: Uint8Array): Promise<Buffer>;
  decompressFrame(input: Uint8Array): Promise<Buffer>;
}

const require = createRequire(import.meta.url);

function loadNative(compression: 'snappy'): SnappyModule;
function loadNative(compression: 'lz4'): Lz4Module;
function loadNative(compression: 'snappy' | 'lz4'): SnappyModule | Lz4Module;
function loadNative(compression: 'snappy' | 'lz4'): SnappyModule | Lz4Module {
  return require(NATIVE_PACKAGES[compression]) as SnappyModule | Lz4Module;
}

/**
 * LZ4's frame format, as Kafka reads it since record batch magic 1 (a correct header checksum):
 * lz4-napi writes independent blocks (the only kind Kafka's reader takes) without checksums.
 */
function lz4Codec(): Codec {
  const lz4 = loadNative('lz4');
  return { compress: (records) => lz4.compressFrame(records), decompress: (compressed) => lz4.decompressFrame(compressed) };
}

/**
 * snappy-java's stream format (SnappyOutputStream), which Kafka's Java client writes: a 16-byte
 * header (magic, version 1, compatible version 1), then blocks of up to 32 KiB of input, each a
 * big-endian length and a raw snappy block. Kafka's and librdkafka's readers take it, and also
 * one raw snappy block without header (what librdkafka writes), which is read here too.
 */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
export const XERIAL_BLOCK_BYTES = 32 * 1024;

function snappyCodec(): Codec {
  const snappy = loadNative('snappy');
  return {
    async compress(records) {
      const blocks: Promise<Buffer>[] = [];
      for (let at = 0; at < records.length; at += XERIAL_BLOCK_BYTES) blocks.push(snappy.compress(records.subarray(at, at + XERIAL_BLOCK_BYTES)));
      return xerialFrame(await Promise.all(blocks));
    },
    async decompress(compressed) {
      if (!isXerial(compressed)) return snappy.uncompress(compressed, { asBuffer: true });
      return Buffer.concat(await Promise.all(xerialBlocks(compressed).map((block) => snappy.uncompress(block, { asBuffer: true }))));
    },
  };
}

function xerialFrame(blocks: readonly Buffer[]): Buffer {
  const frame = Buffer.allocUnsafe(XERIAL_HEADER_BYTES + blocks.reduce((sum, block) => sum + 4 + block.length, 0));
  XERIAL_MAGIC.copy(frame, 0);
  frame.writeInt32BE(1, 8);
  frame.writeInt32BE(1, 12);
  let at = XERIAL_HEADER_BYTES;
  for (const block of blocks) {
    at = frame.writeInt32BE(block.length, at);
    at += block.copy(frame, at);
  }
  return frame;
}

function isXerial(compressed: Buffer): boolean {
  return compressed.length >= XERIAL_HEADER_BYTES && compressed.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** The raw snappy blocks of a snappy-java stream; throws on a cut one. */
export function xerialBlocks(compressed: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < compressed.length) {
    if (at + 4 > compressed.length) throw new Error(`snappy-java stream cut at byte ${String(at)} of ${String(compressed.length)}: no room for a block length`);
    const length = compressed.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > compressed.length) throw new Error(`snappy-java stream cut: a block of ${String(length)} bytes at byte ${String(at)} of ${String(compressed.length)}`);
    blocks.push(compressed.subarray(at, at + length));
    at += length;
  }
  return blocks;
}
