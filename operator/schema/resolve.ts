// The generic walk of a schema node: applies its defaults and checks a value as the apiserver
// would (types, enums, patterns, lengths, ranges, required fields, list sizes and keys), then the
// node's checks (the CEL rules' JS twins and the semantic checks). Unknown fields are dropped, as
// the apiserver prunes them. Errors name the field, the bad value and what is allowed.
import { enumValues, invalid, show, type ArrayNode, type Check, type Node, type ObjectNode, type Problem, type StringNode } from './nodes.ts';

export class SpecError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const patterns = new Map<string, RegExp>();
/** The apiserver's patterns are RE2 with Unicode classes (\p{L}): JS needs the u flag. */
function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern, 'u');
    patterns.set(pattern, regex);
  }
  return regex;
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return `>= ${min}`;
  return max === undefined ? '' : `<= ${max}`;
}

/** What a value of `node` may be, for messages: the node's own words, or said from its schema. */
export function allowed(node: Node): string {
  if (node.allowed !== undefined) return node.allowed;
  switch (node.type) {
    case 'string': {
      const values = enumValues(node);
      if (values !== undefined) return `one of ${values.join(', ')}`;
      return node.pattern === undefined ? 'a string' : `a string matching ${node.pattern}`;
    }
    case 'integer': return `an integer ${range(node.minimum, node.maximum)}`.trimEnd();
    case 'boolean': return 'true or false';
    case 'int-or-string': return `an integer or a string matching ${node.pattern}`;
    case 'array': return `a list of ${range(node.minItems ?? 0, node.maxItems)} items`;
    case 'object': {
      if (node.additionalProperties !== undefined) return `a map of ${node.maxProperties === undefined ? '' : `at most ${node.maxProperties} `}names to values`;
      const required = Object.entries(node.properties ?? {}).filter(([, child]) => child.required === true).map(([name]) => name);
      return required.length === 0 ? 'an object' : required.join(' and ');
    }
  }
}

function fail(path: string, problem: string): never {
  throw new SpecError(path, problem);
}

function checkString(node: StringNode, value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, invalid(value, `${allowed(node)} is allowed`));
  const values = enumValues(node);
  if (values !== undefined && !values.includes(value)) fail(path, invalid(value, `${allowed(node)} is allowed`));
  // Kubernetes counts characters (code points), not UTF-16 units.
  const length = [...value].length;
  if (length < (node.minLength ?? 0) || (node.pattern !== undefined && !compiled(node.pattern).test(value))) fail(path, invalid(value, `${allowed(node)} is allowed`));
  if (node.maxLength !== undefined && length > node.maxLength) fail(path, invalid(value, `at most ${node.maxLength} characters are allowed`));
  return value;
}

function checkArray(node: ArrayNode, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value) || value.length < (node.minItems ?? 0) || value.length > (node.maxItems ?? Infinity)) {
    fail(path, invalid(value, `${allowed(node)} is allowed`));
  }
  const items = (value as unknown[]).map((item, index) => resolveNode(node.items, item, `${path}[${index}]`));
  const keys = node.listType === 'map' ? node.listMapKeys ?? [] : [];
  if (node.listType === 'set') {
    const duplicate = items.find((item, index) => items.indexOf(item) !== index);
    if (duplicate !== undefined) fail(path, `duplicate value ${show(duplicate)}: each may be listed once`);
  }
  for (const key of keys) {
    const seen = new Set<unknown>();
    items.forEach((item, index) => {
      const keyValue = (item as Json)[key];
      if (seen.has(keyValue)) fail(`${path}[${index}].${key}`, `duplicate value ${show(keyValue)}: each ${key} may be listed once`);
      seen.add(keyValue);
    });
  }
  return items;
}

function checkObject(node: ObjectNode, value: unknown, path: string): Json {
  if (!isObject(value)) fail(path, invalid(value, `${allowed(node)} is allowed`));
  const result: Json = {};
  if (node.additionalProperties !== undefined) {
    if (Object.keys(value).length > (node.maxProperties ?? Infinity)) fail(path, invalid(value, `${allowed(node)} is allowed`));
    for (const [name, entry] of Object.entries(value)) result[name] = resolveNode(node.additionalProperties, entry, `${path}[${show(name)}]`);
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const resolved = resolveNode(child, value[name], `${path}.${name}`);
    if (resolved !== undefined && child.resolve !== 'omit') result[name] = resolved;
  }
  return result;
}

function runChecks(node: Node, value: unknown, path: string): void {
  for (const check of (node.checks ?? []) as readonly Check<unknown>[]) {
    const problem: Problem | undefined = check.test(value);
    if (problem === undefined) continue;
    if (typeof problem === 'string') fail(path + (check.cel?.fieldPath ?? ''), problem);
    fail(path + problem.field, problem.problem);
  }
}

/** `value` (at `path`) with the defaults of `node` applied, checked; undefined for an absent optional field. */
export function resolveNode(node: Node, value: unknown, path: string): unknown {
  if (value === undefined || value === null) {
    // A default object is copied: the result must not share it (scalars need no copy).
    if (node.default !== undefined) return resolveNode(node, typeof node.default === 'object' ? structuredClone(node.default) : node.default, path);
    if (node.required === true) fail(path, `is required (${allowed(node)})`);
    if (node.type === 'array') return [];
    if (node.type === 'object' && (node.additionalProperties !== undefined || node.resolve === 'empty')) return resolveNode(node, {}, path);
    return undefined;
  }
  let resolved: unknown;
  switch (node.type) {
    case 'string': resolved = checkString(node, value, path); break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (node.minimum ?? -Infinity) || value > (node.maximum ?? Infinity)) {
        fail(path, invalid(value, `${allowed(node)} is allowed`));
      }
      resolved = value;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail(path, invalid(value, `${allowed(node)} is allowed`));
      resolved = value;
      break;
    case 'int-or-string':
      if (!(typeof value === 'number' && Number.isSafeInteger(value)) && !(typeof value === 'string' && compiled(node.pattern).test(value))) {
        fail(path, invalid(value, `${allowed(node)} is allowed`));
      }
      resolved = value;
      break;
    case 'array': resolved = checkArray(node, value, path); break;
    case 'object': resolved = node.tsType === undefined ? checkObject(node, value, path) : value; break;
  }
  runChecks(node, resolved, path);
  return resolved;
}
