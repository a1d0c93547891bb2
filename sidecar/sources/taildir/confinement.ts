import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../log.ts';
import { fileKey } from './identity.ts';

/**
 * Why a file was not read: its real path lies outside the root (`outside`), or what was opened
 * could not be resolved to a path at all (`unverifiable`: refused, as it cannot be shown to be inside).
 */
export type RefusalReason = 'outside' | 'unverifiable';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['outside', 'unverifiable'];

/** Files refused, by reason (a file counts once). */
export type RefusalCounts = Record<RefusalReason, number>;

/** Whether `real` (an absolute real path) is `root` or below it; pure. */
export function isInside(root: string, real: string): boolean {
  if (root === '/') return real.startsWith('/');
  return real === root || real.startsWith(`${root}/`);
}

/** What Linux says the descriptor refers to, without the ` (deleted)` of a file unlinked since. */
export async function descriptorPath(handle: FileHandle): Promise<string> {
  const target = await readlink(`/proc/self/fd/${handle.fd}`);
  return target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
}

/**
 * Opens a source's files, refusing any whose real path leaves the confinement root (TAILDIR's
 * `confineTo`): a symlink on the app's volume must not make the agent ship a file only the agent
 * can see (its own Kafka key, /proc/self/environ). The check is on the descriptor after the open,
 * not on the path before it, so a symlink swapped between a check and the open cannot pass. The
 * root is resolved once (it may itself be a symlink, as the kubelet's volume paths are). Each
 * refused file (by device and inode) is logged and counted once, not at every rescan.
 * Without a root every file opens, as in Flume (symlinks followed anywhere).
 */
export class ConfinedOpener {
  private readonly dir: string | undefined;
  private readonly log: Logger;
  private root: string | undefined;
  /** Refused files (`dev:ino`) already logged and counted. */
  private readonly refused: Set<string>;
  readonly counts: RefusalCounts;

  constructor(dir: string | undefined, log: Logger, earlier?: { refused: ReadonlySet<string>; counts: Readonly<RefusalCounts> }) {
    this.dir = dir;
    this.log = log;
    this.refused = new Set(earlier?.refused);
    this.counts = { outside: earlier?.counts.outside ?? 0, unverifiable: earlier?.counts.unverifiable ?? 0 };
  }

  /** What a successor (a reload) continues with: the files already reported stay reported. */
  get reported(): { refused: ReadonlySet<string>; counts: Readonly<RefusalCounts> } {
    return { refused: this.refused, counts: { ...this.counts } };
  }

  /** Opens `path` for reading; undefined (and closed) when it is refused. Open errors are thrown. */
  async open(path: string): Promise<FileHandle | undefined> {
    const handle = await open(path, 'r');
    if (await this.admits(handle, path)) return handle;
    await handle.close().catch(() => undefined);
    return undefined;
  }

  /** Whether an open descriptor (opened under other rules, e.g. by the source a reload replaced) may be read. */
  async admits(handle: FileHandle, path: string): Promise<boolean> {
    if (this.dir === undefined) return true;
    this.root ??= await realpath(this.dir).catch(() => undefined);
    const real = await descriptorPath(handle).catch(() => undefined);
    if (this.root !== undefined && real !== undefined && isInside(this.root, real)) return true;
    await this.report(handle, path, real, real === undefined || this.root === undefined ? 'unverifiable' : 'outside');
    return false;
  }

  /** Forgets refused files not among `keys` (the latest listing), so the set stays as small as the directory. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.refused) if (!keys.has(key)) this.refused.delete(key);
  }

  private async report(handle: FileHandle, path: string, real: string | undefined, reason: RefusalReason): Promise<void> {
    const stats = await handle.stat({ bigint: true }).catch(() => undefined);
    const key = stats === undefined ? `path:${path}` : fileKey(stats);
    if (this.refused.has(key)) return;
    this.refused.add(key);
    this.counts[reason]++;
    this.log.warn({ file: path, realPath: real ?? null, root: this.root ?? this.dir, confineTo: this.dir, reason },
      reason === 'outside' ? 'file refused: its real path is outside confineTo (a symlink leaving the volume)' : 'file refused: cannot tell whether its real path is inside confineTo');
  }
}
