import { ConfigError, type ConfigWarning } from './errors.ts';
import type { Property } from './properties.ts';
import { compileTemplate, TemplateError, type Template } from '../template.ts';

/**
 * The keys of one component (e.g. `producer.sinks.r.*`), read with types.
 * Every key read is remembered, so the keys nobody read can be reported as unknown.
 * Keys may have aliases (Flume renamed many over the years): the first one present wins.
 */
export class Settings {
  /** Full key prefix, e.g. `producer.sinks.r.`, used in messages so users can find the line. */
  readonly prefix: string;
  readonly file: string;
  private readonly properties: Map<string, Property>;
  private readonly used = new Set<string>();
  private readonly children: Settings[] = [];

  constructor(prefix: string, properties: Map<string, Property>, file: string) {
    this.prefix = prefix;
    this.properties = properties;
    this.file = file;
  }

  /** The first of `keys` that is set (with its name here), marking all of them as known. */
  private find(keys: string | readonly string[]): (Property & { name: string }) | undefined {
    const names = typeof keys === 'string' ? [keys] : keys;
    for (const name of names) this.used.add(name);
    for (const name of names) {
      const property = this.properties.get(name);
      if (property !== undefined) return { ...property, name };
    }
    return undefined;
  }

  has(keys: string | readonly string[]): boolean {
    return this.find(keys) !== undefined;
  }

  /** An error about `key` (relative), naming its full key, file and line. */
  error(key: string, problem: string): ConfigError {
    return new ConfigError(problem, { file: this.file, line: this.properties.get(key)?.line, key: this.prefix + key });
  }

  private invalid(property: Property & { name: string }, allowed: string): ConfigError {
    return this.error(property.name, `invalid value "${property.value}": ${allowed}`);
  }

  string(keys: string | readonly string[]): string | undefined;
  string(keys: string | readonly string[], fallback: string): string;
  string(keys: string | readonly string[], fallback?: string): string | undefined {
    const property = this.find(keys);
    return property === undefined ? fallback : property.value.trim();
  }

  required(keys: string | readonly string[], what: string): string {
    const value = this.string(keys);
    if (value === undefined || value === '') {
      const names = typeof keys === 'string' ? [keys] : keys;
      throw new ConfigError(`is required (${what})`, { file: this.file, key: names.map((k) => this.prefix + k).join(' or ') });
    }
    return value;
  }

  int(keys: string | readonly string[], fallback: number, range: { min?: number; max?: number } = {}): number {
    const property = this.find(keys);
    if (property === undefined) return fallback;
    const text = property.value.trim();
    const min = range.min ?? Number.MIN_SAFE_INTEGER;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const bounds = range.max === undefined ? `>= ${min}` : `${min}..${max}`;
      throw this.invalid(property, `an integer ${bounds} is allowed`);
    }
    return value;
  }

  bool(keys: string | readonly string[], fallback: boolean): boolean {
    const property = this.find(keys);
    if (property === undefined) return fallback;
    const text = property.value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw this.invalid(property, 'true or false is allowed');
  }

  /** One of `allowed`, compared case-insensitively, returned as spelled in `allowed`. */
  oneOf<T extends string>(keys: string | readonly string[], allowed: readonly T[], fallback: T): T {
    const property = this.find(keys);
    if (property === undefined) return fallback;
    const text = property.value.trim().toLowerCase();
    const match = allowed.find((candidate) => candidate.toLowerCase() === text);
    if (match === undefined) throw this.invalid(property, `one of ${allowed.join(', ')} is allowed`);
    return match;
  }

  /** A `%{header}` template (template.ts), compiled now so that a malformed one is an error naming the key. */
  template(keys: string | readonly string[]): Template | undefined;
  template(keys: string | readonly string[], fallback: string): Template;
  template(keys: string | readonly string[], fallback?: string): Template | undefined {
    const property = this.find(keys);
    const text = property === undefined ? fallback : property.value.trim();
    if (text === undefined) return undefined;
    try {
      return compileTemplate(text);
    } catch (error) {
      if (!(error instanceof TemplateError) || property === undefined) throw error;
      throw this.invalid(property, error.message);
    }
  }

  /** The first of `keys` that is set, as named here (for messages about a value read with aliases). */
  nameOf(keys: string | readonly string[]): string | undefined {
    return this.find(keys)?.name;
  }

  /** A whitespace-separated list, as Flume's `sources = a b c`. */
  list(keys: string | readonly string[]): string[] {
    const value = this.string(keys);
    return value === undefined ? [] : value.split(/\s+/).filter((item) => item !== '');
  }

  /** The keys under `prefix` (relative to it), all marked known; for pass-through groups such as `headers.g.*`. */
  group(prefix: string): Map<string, Property> {
    const result = new Map<string, Property>();
    for (const [key, property] of this.properties) {
      if (!key.startsWith(prefix)) continue;
      this.used.add(key);
      result.set(key.slice(prefix.length), property);
    }
    return result;
  }

  /** Settings for a nested component, e.g. an interceptor under `interceptors.i1.`; its keys count as known here. */
  nested(prefix: string): Settings {
    const child = new Settings(this.prefix + prefix, this.group(prefix), this.file);
    this.children.push(child);
    return child;
  }

  /** All of this component's keys and values, canonically ordered: equal text means equal configuration. */
  fingerprint(): string {
    return JSON.stringify([...this.properties].map(([key, property]) => [key, property.value]).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '')));
  }

  /** Warnings for every key that no reader asked for. */
  unknownKeys(): ConfigWarning[] {
    const warnings: ConfigWarning[] = this.children.flatMap((child) => child.unknownKeys());
    for (const [key, property] of this.properties) {
      if (this.used.has(key) || this.children.some((child) => key.startsWith(child.prefix.slice(this.prefix.length)))) continue;
      warnings.push({ message: `unknown key ${this.prefix + key} is ignored`, file: this.file, line: property.line, key: this.prefix + key });
    }
    return warnings;
  }
}
