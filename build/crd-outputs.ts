// What operator/schema/logshipper.ts generates, as pure functions of it: the CRD YAML (crds/ and
// the chart's copy), operator/crd-types.ts and the README's "LogShipper fields" table.
// build/generate-crd.ts writes them; test/unit/operator/crd-generated.test.ts checks that the
// checked-in files equal them.
import yaml from 'js-yaml';
import { CRD, SPEC } from '../operator/schema/logshipper.ts';
import { crdObject, properties } from '../operator/schema/crd.ts';
import { namedEnum, type Enum, type Node, type ObjectNode } from '../operator/schema/nodes.ts';

export const SOURCE = 'operator/schema/logshipper.ts';
export const COMMAND = 'npm run generate';
export const CRD_PATHS = ['crds/logshipper.io_logshippers.yaml', 'charts/logshipper/crds/logshipper.io_logshippers.yaml'] as const;
export const TYPES_PATH = 'operator/crd-types.ts';
export const README_PATH = 'README.md';
export const README_BEGIN = '<!-- generated: crd-fields -->';
export const README_END = '<!-- end generated: crd-fields -->';

export function crdYaml(): string {
  return `# Generated from ${SOURCE} by \`${COMMAND}\`: do not edit.\n${yaml.dump(crdObject(), { lineWidth: 120, noRefs: true })}`;
}

/** A description as a one-line doc comment (no comment end inside). */
function doc(text: string | undefined, indent: string): string {
  return text === undefined ? '' : `${indent}/** ${text.replaceAll('*/', '*\\/')} */\n`;
}

function walk(node: Node, visit: (node: Node, path: string) => void, path: string): void {
  visit(node, path);
  for (const [name, child] of properties(node)) walk(child, visit, `${path}.${name}`);
  if (node.type === 'object' && node.additionalProperties !== undefined) walk(node.additionalProperties, visit, `${path}{}`);
  if (node.type === 'array') walk(node.items, visit, `${path}[]`);
}

/** Whether ResolvedSpec always has the field (its default, an empty list or map, or required). */
function alwaysResolved(node: Node): boolean {
  return node.required === true || node.default !== undefined || node.type === 'array'
    || (node.type === 'object' && (node.additionalProperties !== undefined || node.resolve === 'empty'));
}

/** The TypeScript type of a node: as written (`spec`) or as resolveSpec returns it (`resolved`). */
function tsType(node: Node, view: 'spec' | 'resolved', indent: string): string {
  const named = namedEnum(node);
  if (named !== undefined) return named.typeName;
  switch (node.type) {
    case 'string': return 'string';
    case 'integer': return 'number';
    case 'boolean': return 'boolean';
    case 'int-or-string': return 'string | number';
    case 'array': {
      const item = tsType(node.items, view, indent);
      return item.includes('|') ? `(${item})[]` : `${item}[]`;
    }
    case 'object': return objectType(node, view, indent);
  }
}

function objectType(node: ObjectNode, view: 'spec' | 'resolved', indent: string): string {
  if (node.tsType !== undefined) return node.tsType;
  if (view === 'spec' && node.name !== undefined) return node.name;
  if (node.additionalProperties !== undefined) return `Record<string, ${tsType(node.additionalProperties, view, indent)}>`;
  return `{\n${members(node, view, `${indent}  `)}${indent}}`;
}

function members(node: ObjectNode, view: 'spec' | 'resolved', indent: string): string {
  return properties(node)
    .filter(([, child]) => view === 'spec' || child.resolve !== 'omit')
    .map(([name, child]) => {
      const optional = view === 'spec' ? child.required !== true : !alwaysResolved(child);
      return `${doc(child.description, indent)}${indent}${name}${optional ? '?' : ''}: ${tsType(child, view, indent)};\n`;
    })
    .join('');
}

function literal(value: unknown): string {
  return typeof value === 'string' ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : String(value);
}

export function crdTypes(): string {
  const enums = new Map<string, Enum>();
  const interfaces = new Map<string, string>();
  const ranges: string[] = [];
  const defaults: string[] = [];
  walk(CRD.schema, (node, path) => {
    const named = namedEnum(node);
    if (named !== undefined) enums.set(named.name, named);
    if (node.type === 'object' && node.name !== undefined) {
      const body = `${doc(node.description, '')}export interface ${node.name} {\n${members(node, 'spec', '  ')}}\n`;
      const known = interfaces.get(node.name);
      // Two nodes may share an interface (SecretKeyRef) only when their fields agree.
      if (known !== undefined && known.replace(/\/\*\*.*\*\/\n/g, '') !== body.replace(/\/\*\*.*\*\/\n/g, '')) throw new Error(`two different schemas are named ${node.name}`);
      if (known === undefined) interfaces.set(node.name, body);
    }
    if (node.type === 'integer' && node.rangeName !== undefined) {
      ranges.push(`/** The range of ${path.slice(1)} (minimum..maximum). */\nexport const ${node.rangeName} = { min: ${node.minimum ?? 'undefined'}, max: ${node.maximum ?? 'undefined'} } as const;\n`);
    }
  }, '');
  walk(SPEC, (node, path) => {
    if (node.default === undefined || typeof node.default === 'object') return;
    const name = node.defaultName ?? path.slice(path.lastIndexOf('.') + 1);
    const named = namedEnum(node);
    defaults.push(`  ${name}: ${literal(node.default)}${named === undefined ? '' : ` as ${named.typeName}`},\n`);
  }, 'spec');
  return [
    `// Generated from ${SOURCE} by \`${COMMAND}\`: do not edit. The LogShipper custom resource as`,
    '// TypeScript sees it: its names, enums, the types of a spec as written and as resolveSpec',
    '// returns it (defaults applied), and the schema defaults.',
    "import type { V1ObjectMeta } from '@kubernetes/client-node';",
    '',
    `export const GROUP = ${literal(CRD.group)};`,
    `export const VERSION = ${literal(CRD.version)};`,
    'export const API_VERSION = `${GROUP}/${VERSION}`;',
    `export const KIND = ${literal(CRD.kind)};`,
    `export const PLURAL = ${literal(CRD.plural)};`,
    '',
    [...enums.values()].map((e) => `${doc(e.doc, '')}export const ${e.name} = [${e.values.map(literal).join(', ')}] as const;\nexport type ${e.typeName} = (typeof ${e.name})[number];\n`).join(''),
    [...interfaces.values()].join('\n'),
    `/** The spec with every schema default applied (what the apiserver stores; \`render -f\` applies them itself). */\nexport interface ResolvedSpec ${objectType(SPEC, 'resolved', '')}\n`,
    ranges.join(''),
    `/** Schema defaults (the CRD's \`default:\` values). */\nexport const DEFAULTS = {\n${defaults.join('')}} as const;\n`,
  ].join('\n');
}

function cell(text: string): string {
  return text === '' ? ' ' : ` ${text} `;
}

export function readmeTable(): string {
  const rows: string[] = ['| field | meaning | default |', '| --- | --- | --- |'];
  walk(SPEC, (node, path) => {
    if (node.row === undefined) return;
    const { default: value } = node;
    const scalar = typeof value === 'string' ? `\`${value}\`` : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    const fallback = scalar ?? (node.required === true ? 'required' : '');
    rows.push(`|${[node.row.field ?? `\`${path}\``, node.row.meaning, node.row.default ?? fallback].map(cell).join('|')}|`);
  }, 'spec');
  return rows.join('\n');
}

/** README.md with the generated table between its markers. */
export function withReadmeTable(readme: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`${README_PATH}: the markers ${README_BEGIN} ... ${README_END} are missing`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${readmeTable()}\n${readme.slice(end)}`;
}

/** Every generated file (path -> content), given the current README. */
export function generatedFiles(readme: string): Map<string, string> {
  const files = new Map<string, string>(CRD_PATHS.map((path) => [path, crdYaml()]));
  files.set(TYPES_PATH, crdTypes());
  files.set(README_PATH, withReadmeTable(readme));
  return files;
}
