// What differs between two versions of a CRD (before and after an apply, or two charts' CRDs), as
// lists a log line and a person can read: schema fields added, removed or changed per version,
// printer columns, and any other part of the spec. Pure: both CRDs are plain objects.
import type { Json } from './schema/crd.ts';

export interface CrdChanges {
  /** `<version>:<path>`, e.g. `v1alpha1:status.injectedPods` (`[]` an array's items, `{}` a map's values). */
  fieldsAdded: string[];
  fieldsRemoved: string[];
  /** Fields whose own keywords (type, enum, default, description, rules, ...) differ. */
  fieldsChanged: string[];
  /** `<version>:<column name>`. */
  columnsAdded: string[];
  columnsRemoved: string[];
  columnsChanged: string[];
  /** Any other spec key that differs: `names`, `scope`, `versions[v1alpha1].served`, ... */
  other: string[];
}

/** The parts of a schema node that are its children, not its own keywords. */
const CHILD_KEYS = new Set(['properties', 'items', 'additionalProperties']);

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(record) : [];
}

/** JSON with object keys sorted: equal values give equal text whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Json)[key])}`).join(',')}}`;
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Every node of an OpenAPI schema by path (`spec.kafka.topic`, `spec.files[].path`), with its own keywords. */
export function schemaFields(schema: unknown): Map<string, Json> {
  const fields = new Map<string, Json>();
  const walk = (node: Json, path: string): void => {
    if (path !== '') fields.set(path, Object.fromEntries(Object.entries(node).filter(([key]) => !CHILD_KEYS.has(key))));
    for (const [name, child] of Object.entries(record(node['properties']))) walk(record(child), path === '' ? name : `${path}.${name}`);
    if (node['items'] !== undefined) walk(record(node['items']), `${path}[]`);
    if (typeof node['additionalProperties'] === 'object') walk(record(node['additionalProperties']), `${path}{}`);
  };
  walk(record(schema), '');
  return fields;
}

/** Keys of `after` not in `before`, keys of `before` not in `after`, and shared keys whose values differ. */
function diff<T>(before: Map<string, T>, after: Map<string, T>): { added: string[]; removed: string[]; changed: string[] } {
  return {
    added: [...after.keys()].filter((key) => !before.has(key)),
    removed: [...before.keys()].filter((key) => !after.has(key)),
    changed: [...after.keys()].filter((key) => before.has(key) && canonical(before.get(key)) !== canonical(after.get(key))),
  };
}

function versions(crd: unknown): Map<string, Json> {
  return new Map(list(record(record(crd)['spec'])['versions']).map((version) => [String(version['name']), version]));
}

function prefixed(version: string, keys: string[]): string[] {
  return keys.map((key) => `${version}:${key}`);
}

/** What changes from CRD `before` (undefined: none yet) to CRD `after`. */
export function crdChanges(before: unknown, after: unknown): CrdChanges {
  const changes: CrdChanges = { fieldsAdded: [], fieldsRemoved: [], fieldsChanged: [], columnsAdded: [], columnsRemoved: [], columnsChanged: [], other: [] };
  const beforeSpec = record(record(before)['spec']);
  const afterSpec = record(record(after)['spec']);
  const keys = new Set([...Object.keys(beforeSpec), ...Object.keys(afterSpec)].filter((key) => key !== 'versions'));
  changes.other.push(...[...keys].filter((key) => canonical(beforeSpec[key]) !== canonical(afterSpec[key])));
  const beforeVersions = versions(before);
  const afterVersions = versions(after);
  const versionDiff = diff(beforeVersions, afterVersions);
  changes.other.push(...versionDiff.added.map((name) => `versions[${name}] added`), ...versionDiff.removed.map((name) => `versions[${name}] removed`));
  for (const name of new Set([...beforeVersions.keys(), ...afterVersions.keys()])) {
    const old = beforeVersions.get(name) ?? {};
    const now = afterVersions.get(name) ?? {};
    const fields = diff(schemaFields(record(old['schema'])['openAPIV3Schema']), schemaFields(record(now['schema'])['openAPIV3Schema']));
    changes.fieldsAdded.push(...prefixed(name, fields.added));
    changes.fieldsRemoved.push(...prefixed(name, fields.removed));
    changes.fieldsChanged.push(...prefixed(name, fields.changed));
    const columns = (version: Json): Map<string, Json> => new Map(list(version['additionalPrinterColumns']).map((column) => [String(column['name']), column]));
    const columnDiff = diff(columns(old), columns(now));
    changes.columnsAdded.push(...prefixed(name, columnDiff.added));
    changes.columnsRemoved.push(...prefixed(name, columnDiff.removed));
    changes.columnsChanged.push(...prefixed(name, columnDiff.changed));
    if (beforeVersions.has(name) && afterVersions.has(name)) {
      const rest = new Set([...Object.keys(old), ...Object.keys(now)].filter((key) => key !== 'schema' && key !== 'additionalPrinterColumns'));
      changes.other.push(...[...rest].filter((key) => canonical(old[key]) !== canonical(now[key])).map((key) => `versions[${name}].${key}`));
    }
  }
  return changes;
}

/** Whether nothing changes. */
export function unchanged(changes: CrdChanges): boolean {
  return Object.values(changes).every((entries: string[]) => entries.length === 0);
}
