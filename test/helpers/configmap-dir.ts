// A directory laid out and updated the way the kubelet does for a ConfigMap volume:
//   dir/agent.properties -> ..data/agent.properties, dir/..data -> ..<timestamp>/
// An update writes a new timestamped directory, points ..data_tmp at it and renames
// ..data_tmp over ..data (one atomic step), adds the links of new names, removes those of names no
// longer in it, then removes the old directory. An `optional` ConfigMap volume whose ConfigMap does
// not exist holds no files (`{}`); deleting the ConfigMap is an update to `{}`.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ConfigMapDir {
  readonly dir: string;
  private generation = 0;
  private names: string[];

  constructor(files: Record<string, string>) {
    this.dir = mkdtempSync(join(tmpdir(), 'logshipper-configmap-'));
    const first = this.writeGeneration(files);
    symlinkSync(first, join(this.dir, '..data'));
    this.names = Object.keys(files);
    for (const name of this.names) symlinkSync(join('..data', name), join(this.dir, name));
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
    const names = Object.keys(files);
    for (const name of names.filter((n) => !this.names.includes(n))) symlinkSync(join('..data', name), join(this.dir, name));
    for (const name of this.names.filter((n) => !names.includes(n))) unlinkSync(join(this.dir, name));
    this.names = names;
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  private writeGeneration(files: Record<string, string>): string {
    const name = `..2026_11_24_00_00_00.${String(++this.generation).padStart(9, '0')}`;
    mkdirSync(join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(this.dir, name, file), content);
    return name;
  }
}
