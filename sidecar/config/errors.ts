/** Where a setting came from, so that errors can point at it. */
export interface Source {
  file: string;
  line: number;
}

/**
 * A configuration problem, fatal before the agent starts (exit 2).
 * The message names the file and line, the key, the bad value and what is allowed.
 */
export class ConfigError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly key: string | undefined;

  constructor(problem: string, at: { file: string; line?: number | undefined; key?: string | undefined }) {
    const where = at.line === undefined ? at.file : `${at.file}:${at.line}`;
    super(at.key === undefined ? `${where}: ${problem}` : `${where}: ${at.key}: ${problem}`);
    this.name = 'ConfigError';
    this.file = at.file;
    this.line = at.line;
    this.key = at.key;
  }
}

/** A non-fatal remark about the configuration, e.g. an unknown key (Flume users have typos). */
export interface ConfigWarning {
  message: string;
  file: string;
  line: number | undefined;
  key: string;
}
