// A directory laid out and updated the way the kubelet does for a ConfigMap volume:
//   dir/agent.properties -> ..data/agent.properties, dir/..data -> ..<timestamp>/
// An update writes a new timestamped directory, points ..data_tmp at it and renames
// ..data_tmp over ..data (one atomic step), then removes the old directory.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ConfigMapDir {
  readonly dir: string;
  private generation = 0;

  constructor(files: Record<string, string>) {
    this.dir = mkdtempSync(join(tmpdir(), 'logshipper-configmap-'));
    const first = this.writeGeneration(files);
    symlinkSync(first, join(this.dir, '..data'));
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(this.dir, name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Swaps in new content atomically, as a ConfigMap update does. */
  update(files: Record<string, string>): void {
    const old = readlinkSync(join(this.dir, '..data'));
    const next = this.writeGeneration(files);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(next, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  private writeGeneration(files: Record<string, string>): string {
    const name = `..2026_11_24_00_00_00.${String(++this.generation).padStart(9, '0')}`;
    mkdirSync(join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(this.dir, name, file), content);
    return name;
  }
}
