// The LogShipper CRD as an object, from operator/schema/logshipper.ts: what `npm run generate`
// writes to crds/ as YAML (build/crd-outputs.ts) and what `logshipper crds apply` applies from the
// image, which carries the compiled schema rather than a copy of the YAML.
import { CRD } from './logshipper.ts';
import { enumValues, type Node } from './nodes.ts';

export type Json = Record<string, unknown>;

/** A node's properties (none unless an object). */
export function properties(node: Node): [string, Node][] {
  return node.type === 'object' ? Object.entries(node.properties ?? {}) : [];
}

/** The node as the apiserver sees it: OpenAPI v3 with the Kubernetes extensions, nothing of ours. */
export function openApi(node: Node): Json {
  const out: Json = node.type === 'int-or-string' ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : { type: node.type };
  if ((node.type === 'string' || node.type === 'integer') && node.format !== undefined) out['format'] = node.format;
  if (node.description !== undefined) out['description'] = node.description;
  if (node.type === 'string') {
    const values = enumValues(node);
    if (values !== undefined) out['enum'] = [...values];
    if (node.minLength !== undefined) out['minLength'] = node.minLength;
    if (node.maxLength !== undefined) out['maxLength'] = node.maxLength;
    if (node.pattern !== undefined) out['pattern'] = node.pattern;
  }
  if (node.type === 'integer') {
    if (node.minimum !== undefined) out['minimum'] = node.minimum;
    if (node.maximum !== undefined) out['maximum'] = node.maximum;
  }
  if (node.type === 'int-or-string') {
    out['pattern'] = node.pattern;
    out['x-kubernetes-int-or-string'] = true;
  }
  if (node.default !== undefined) out['default'] = node.default;
  if (node.type === 'array') {
    if (node.minItems !== undefined) out['minItems'] = node.minItems;
    if (node.maxItems !== undefined) out['maxItems'] = node.maxItems;
    if (node.listType !== undefined) out['x-kubernetes-list-type'] = node.listType;
    if (node.listMapKeys !== undefined) out['x-kubernetes-list-map-keys'] = [...node.listMapKeys];
    out['items'] = openApi(node.items);
  }
  if (node.type === 'object' && node.tsType === undefined) {
    const required = properties(node).filter(([, child]) => child.required === true).map(([name]) => name);
    if (required.length > 0) out['required'] = required;
    if (node.maxProperties !== undefined) out['maxProperties'] = node.maxProperties;
    if (node.properties !== undefined && Object.keys(node.properties).length > 0) {
      out['properties'] = Object.fromEntries(properties(node).map(([name, child]) => [name, openApi(child)]));
    }
    if (node.additionalProperties !== undefined) out['additionalProperties'] = openApi(node.additionalProperties);
  }
  const rules = (node.checks ?? []).flatMap((check) => (check.cel === undefined ? [] : [check.cel]));
  if (rules.length > 0) out['x-kubernetes-validations'] = rules.map((rule) => ({ ...rule }));
  return out;
}

/** The CRD as the apiserver takes it (what crds/ holds as YAML, and `logshipper crds apply` applies). */
export function crdObject(): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${CRD.plural}.${CRD.group}` },
    spec: {
      group: CRD.group,
      scope: 'Namespaced',
      names: { kind: CRD.kind, listKind: CRD.listKind, plural: CRD.plural, singular: CRD.singular, shortNames: [...CRD.shortNames], categories: [...CRD.categories] },
      versions: [{
        name: CRD.version,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: CRD.printerColumns.map((column) => ({ ...column })),
        schema: { openAPIV3Schema: openApi(CRD.schema) },
      }],
    },
  };
}
