import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * A file is who it is by device and inode (a rename keeps both; a new file after rotation gets
 * a new inode), checked by a fingerprint of its first bytes, because an inode number is reused
 * once a deleted file is gone and a copytruncate keeps the inode while the content starts over.
 */
export const FINGERPRINT_BYTES = 1024;

/** `dev:ino` as decimal text: exact for 64-bit inode numbers. */
export function fileKey(stats: Pick<BigIntStats, 'dev' | 'ino'>): string {
  return `${stats.dev}:${stats.ino}`;
}

export interface Fingerprint {
  /** Hash of the first `length` bytes (empty for an empty file). */
  hash: string;
  length: number;
}

export const EMPTY_FINGERPRINT: Fingerprint = { hash: '', length: 0 };

/** The fingerprint of the first min(FINGERPRINT_BYTES, size) bytes. */
export async function fingerprint(handle: FileHandle, size = FINGERPRINT_BYTES): Promise<Fingerprint> {
  const length = Math.min(FINGERPRINT_BYTES, size);
  if (length === 0) return EMPTY_FINGERPRINT;
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  if (bytesRead === 0) return EMPTY_FINGERPRINT;
  return { hash: hashOf(buffer.subarray(0, bytesRead)), length: bytesRead };
}

/** Whether the file still begins with the bytes the fingerprint was taken of. */
export async function sameStart(handle: FileHandle, known: Fingerprint): Promise<boolean> {
  if (known.length === 0) return true;
  const buffer = Buffer.alloc(known.length);
  const { bytesRead } = await handle.read(buffer, 0, known.length, 0);
  return bytesRead === known.length && hashOf(buffer) === known.hash;
}

function hashOf(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex').slice(0, 16);
}
