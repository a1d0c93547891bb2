// A log volume laid out to test TAILDIR's confineTo, reached through a symlink (`mount`, as the
// kubelet's volume paths are): the files inside are `app.log`, `2026-12-01.log` (with the symlink
// `current.log` to it) and `real-sub/sub.log` (with the symlinked directory `sub`); leading out are
// `evil.log` -> `outside/client.key` and the directory `outdir` -> `outside/dir` (with `x.log`).
// The caller writes the files' content (the symlinks may dangle until then).
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EscapingVolume {
  base: string;
  /** The volume's real directory. */
  volume: string;
  /** A symlink to it: the path to configure. */
  mount: string;
  outside: string;
  /** For the position file. */
  state: string;
  insideFiles: string[];
  /** client.key (behind evil.log) and dir/x.log (behind outdir). */
  outsideFiles: string[];
}

export function escapingVolume(): EscapingVolume {
  const base = mkdtempSync(join(tmpdir(), 'logshipper-confine-'));
  const volume = join(base, 'volume');
  const outside = join(base, 'outside');
  const state = join(base, 'state');
  for (const dir of [volume, outside, state, join(volume, 'real-sub'), join(outside, 'dir')]) mkdirSync(dir);
  const mount = join(base, 'mount');
  symlinkSync(volume, mount);
  symlinkSync('2026-12-01.log', join(volume, 'current.log'));
  symlinkSync('real-sub', join(volume, 'sub'));
  symlinkSync(join(outside, 'client.key'), join(volume, 'evil.log'));
  symlinkSync(join(outside, 'dir'), join(volume, 'outdir'));
  return {
    base, volume, mount, outside, state,
    insideFiles: [join(volume, 'app.log'), join(volume, '2026-12-01.log'), join(volume, 'real-sub', 'sub.log')],
    outsideFiles: [join(outside, 'client.key'), join(outside, 'dir', 'x.log')],
  };
}
