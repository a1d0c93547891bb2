// Cache keys for images and layers: a hash of everything that makes them, including the code
// that builds them (this folder), so a changed builder never reuses an old result.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const BUILDERS = path.dirname(new URL(import.meta.url).pathname);

/** Hex sha256 over `parts` (NUL-separated, so parts cannot run into each other). */
export function keyOf(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * Key parts for the files under `root` (a file or a directory, recursively): each file's path
 * relative to `base`, whether it is executable, and its content; a symlink's target.
 */
export function treeParts(base: string, root: string): string[] {
  const parts: string[] = [];
  const visit = (file: string): void => {
    const stat = fs.lstatSync(file);
    const name = path.relative(base, file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) visit(path.join(file, entry));
    } else if (stat.isSymbolicLink()) {
      parts.push(`link ${name}`, fs.readlinkSync(file));
    } else {
      parts.push(`file ${name} ${(stat.mode & 0o111) !== 0 ? 'x' : '-'}`, keyOf([fs.readFileSync(file)]));
    }
  };
  visit(root);
  return parts;
}

/** Key parts for the image builders themselves. */
export function builderParts(): string[] {
  return treeParts(BUILDERS, BUILDERS);
}
