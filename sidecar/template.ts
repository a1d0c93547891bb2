/**
 * Flume's `%{header}` substitution (BucketPath's header escape), for the Kafka sink's topic and
 * key: compiled once when the configuration is read, rendered per event by joining literal parts
 * and header values (no regular expression per event).
 *
 * Syntax: `%{name}` is the value of event header `name`; `%%` is a literal `%`. Header names are
 * Flume's (letters, digits, `_`, `.`, `-`) plus `/`, so that Kubernetes label headers
 * (`k8s.pod.label.app.kubernetes.io/name`) can be named. Any other `%` is refused rather than kept
 * literally: Flume would read `%Y`, `%t` ... as time escapes, which are not supported here, and a
 * typo such as `%{app` would otherwise become part of a topic name.
 */

/** Characters a header name in a template may have, as a regex class body (the CRD's patterns use it too). */
export const TEMPLATE_HEADER_CHARS = 'A-Za-z0-9_./-';
const NAME_CHARS = new RegExp(`^[${TEMPLATE_HEADER_CHARS}]+$`);
const NAME_ALLOWED = "letters, digits, '_', '.', '-', '/'";

export interface Template {
  /** The text as written. */
  readonly text: string;
  /** The header each placeholder reads, in order (a name may repeat). */
  readonly headers: readonly string[];
  /** The literal text around the placeholders: one more than `headers`. */
  readonly parts: readonly string[];
}

/** Why a template cannot be compiled: the message says where and what is allowed. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function compileTemplate(text: string): Template {
  const headers: string[] = [];
  const parts: string[] = [];
  let literal = '';
  let at = 0;
  while (at < text.length) {
    const percent = text.indexOf('%', at);
    if (percent === -1) {
      literal += text.slice(at);
      break;
    }
    literal += text.slice(at, percent);
    const next = text[percent + 1];
    if (next === '%') {
      literal += '%';
      at = percent + 2;
      continue;
    }
    if (next !== '{') {
      throw new TemplateError(`"%" at position ${percent} does not start a %{header}: write %{name} for a header's value, %% for a literal % (Flume's time escapes such as %Y are not supported)`);
    }
    const close = text.indexOf('}', percent + 2);
    if (close === -1) throw new TemplateError(`"%{" at position ${percent} is not closed by "}"`);
    const name = text.slice(percent + 2, close);
    if (name === '') throw new TemplateError(`"%{}" at position ${percent} names no header`);
    if (!NAME_CHARS.test(name)) throw new TemplateError(`invalid header name ${JSON.stringify(name)} at position ${percent}: ${NAME_ALLOWED} are allowed`);
    parts.push(literal);
    headers.push(name);
    literal = '';
    at = close + 1;
  }
  parts.push(literal);
  return { text, headers, parts };
}

/** The template that renders to `text` as it is, whatever the headers. */
export function escapeTemplate(text: string): string {
  return text.replaceAll('%', '%%');
}

/** The first header the template reads that is not in `available` (the headers its events can have), if any. */
export function unknownHeader(template: Template, available: ReadonlySet<string>): string | undefined {
  return template.headers.find((header) => !available.has(header));
}

/** Whether the template reads no header: it renders to one fixed text. */
export function isStatic(template: Template): boolean {
  return template.headers.length === 0;
}

/**
 * The template with each `%{name}` replaced by the value of header `name`. A header the event
 * lacks renders as the empty string (as in Flume), and `missing` is told its name.
 */
export function renderTemplate(template: Template, headers: Readonly<Record<string, string>>, missing: (header: string) => void): string {
  const { parts, headers: names } = template;
  let out = parts[0] ?? '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] ?? '';
    // Own properties only: a header named `constructor` is not Object.prototype's.
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (value === undefined) missing(name);
    else out += value;
    out += parts[i + 1] ?? '';
  }
  return out;
}
