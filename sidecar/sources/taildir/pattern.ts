import { sep } from 'node:path';

/**
 * Which files a file group means: a base directory to list and watch, how deep, and a test on
 * the path relative to it.
 */
export interface FilePattern {
  /** The literal leading directory: listed and watched. */
  baseDir: string;
  /** How many directory levels below baseDir to look into (0: its own files); Infinity with `**`. */
  depth: number;
  /** Tests a path relative to baseDir (with `/` separators). */
  matches(relative: string): boolean;
  kind: 'regex' | 'glob';
}

const GLOB_CHARS = /[*?[]/;
/** Regex syntax no glob uses: its presence makes a file-name part a Flume regex. */
const REGEX_SYNTAX = /[\\()|^$+{}]|\.[*?]/;

/**
 * Flume: the directory part is literal and the last component is a regex on file names
 * (`/var/log/app/.*\.log`). logshipper: a glob when the directory part has glob characters
 * (`/logs/**\/*.log`) or the file-name part has `*`, `?` or `[` but no regex syntax (`*.log`).
 */
export function compileFilePattern(path: string): FilePattern {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const name = path.slice(slash + 1);
  if (name === '') throw new Error('the path must end with a file name (a regex or a glob), not with /');
  const glob = GLOB_CHARS.test(dir) || (GLOB_CHARS.test(name) && !REGEX_SYNTAX.test(name));
  if (!glob) {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${name})$`);
    } catch (error) {
      throw new Error(`the file-name part is not a valid regular expression (${(error as Error).message})`, { cause: error });
    }
    return { baseDir: dir, depth: 0, matches: (relative) => !relative.includes('/') && regex.test(relative), kind: 'regex' };
  }
  const segments = path.split('/').filter((segment) => segment !== '');
  const firstGlob = segments.findIndex((segment) => GLOB_CHARS.test(segment));
  const base = '/' + segments.slice(0, firstGlob).join('/');
  const rest = segments.slice(firstGlob);
  const regex = new RegExp(`^${rest.map((segment, index) => globSegment(segment, index === rest.length - 1)).join('')}$`);
  return {
    baseDir: base,
    depth: rest.includes('**') ? Number.POSITIVE_INFINITY : rest.length - 1,
    matches: (relative) => regex.test(sep === '/' ? relative : relative.split(sep).join('/')),
    kind: 'glob',
  };
}

/** One path segment of a glob as a regex, with the separator that follows it unless it is the last. */
function globSegment(segment: string, last: boolean): string {
  if (segment === '**') return last ? '.*' : '(?:[^/]+/)*';
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] ?? '';
    if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else {
      out += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return last ? out : `${out}/`;
}
