// Typed builders for the OpenAPI v3 subset the LogShipper CRD uses. A node carries what the
// apiserver sees (type, bounds, enum, default, description, CEL rules) and, beside it, what only
// this project uses: the JS twin of each CEL rule, the "allowed" text of error messages, the
// README row and the TypeScript names. build/generate-crd.ts strips the latter from the CRD.

/** A CEL rule as the apiserver runs it (x-kubernetes-validations). */
export interface CelRule {
  rule: string;
  message: string;
  /** Relative to the node, e.g. `.channel.capacity`: the field the apiserver names. */
  fieldPath?: string;
}

/** A failed check: the problem at the node, or at a field under it (`.value`, `["name"]`). */
export type Problem = string | { field: string; problem: string };

/** A CEL rule and its JS twin (or, without `cel`, a check the apiserver cannot express). */
export interface Check<T = never> {
  cel?: CelRule;
  /** Runs on the node's value after its children were resolved (defaults applied). */
  test: (self: T) => Problem | undefined;
}

/** An enum with its TypeScript names (operator/crd-types.ts exports `name` and the type `typeName`). */
export interface Enum<V extends string = string> {
  name: string;
  typeName: string;
  values: readonly V[];
  doc?: string;
}

/** A row of the README's "LogShipper fields" table. */
export interface Row {
  /** Defaults to the node's path, e.g. `spec.files[].path`. */
  field?: string;
  meaning: string;
  /** Defaults to the node's scalar default, or "required". */
  default?: string;
}

interface Common<T> {
  description?: string;
  default?: unknown;
  /** Listed in the parent object's `required`. */
  required?: boolean;
  checks?: readonly Check<T>[];
  /** What error messages say is allowed, e.g. "a Kafka topic name (...)". */
  allowed?: string;
  row?: Row;
  /** The key of this default in operator/crd-types.ts's DEFAULTS (the property name without it). */
  defaultName?: string;
  /** How resolveSpec treats the field: `omit` leaves it out of ResolvedSpec; `empty` resolves an absent object as {}. */
  resolve?: 'omit' | 'empty';
}

export interface StringNode extends Common<string> {
  type: 'string';
  enum?: Enum | readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

export interface IntegerNode extends Common<number> {
  type: 'integer';
  minimum?: number;
  maximum?: number;
  format?: string;
  /** Exported from operator/crd-types.ts as `{ min, max }` under this name. */
  rangeName?: string;
}

export interface BooleanNode extends Common<boolean> {
  type: 'boolean';
}

/** An integer or a string matching `pattern` (x-kubernetes-int-or-string), e.g. a resource quantity. */
export interface IntOrStringNode extends Common<string | number> {
  type: 'int-or-string';
  pattern: string;
}

// Its checks read the object in the shape they need (a cross-field check reads resolved fields).
export interface ObjectNode extends Common<never> {
  type: 'object';
  properties?: Readonly<Record<string, Node>>;
  additionalProperties?: Node;
  maxProperties?: number;
  /** The interface name in operator/crd-types.ts (inline type without it). */
  name?: string;
  /** A TypeScript type used as is (the object's schema is the apiserver's own, e.g. metadata). */
  tsType?: string;
}

export interface ArrayNode extends Common<unknown[]> {
  type: 'array';
  items: Node;
  minItems?: number;
  maxItems?: number;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: readonly string[];
}

export type Node = StringNode | IntegerNode | BooleanNode | IntOrStringNode | ObjectNode | ArrayNode;

type Options<N extends Node> = Omit<N, 'type'>;

export const string = (options: Options<StringNode> = {}): StringNode => ({ type: 'string', ...options });
export const integer = (options: Options<IntegerNode> = {}): IntegerNode => ({ type: 'integer', ...options });
export const boolean = (options: Options<BooleanNode> = {}): BooleanNode => ({ type: 'boolean', ...options });
export const intOrString = (options: Options<IntOrStringNode>): IntOrStringNode => ({ type: 'int-or-string', ...options });
export const object = (properties: Record<string, Node>, options: Omit<Options<ObjectNode>, 'properties'> = {}): ObjectNode => ({ type: 'object', properties, ...options });
/** An object of names to values of one schema (additionalProperties). */
export const map = (values: Node, options: Omit<Options<ObjectNode>, 'additionalProperties'> = {}): ObjectNode => ({ type: 'object', additionalProperties: values, ...options });
export const array = (items: Node, options: Omit<Options<ArrayNode>, 'items'> = {}): ArrayNode => ({ type: 'array', items, ...options });

export function enumeration<const V extends string>(name: string, typeName: string, values: readonly V[], doc?: string): Enum<V> {
  return doc === undefined ? { name, typeName, values } : { name, typeName, values, doc };
}

function isEnumList(values: Enum | readonly string[]): values is readonly string[] {
  return Array.isArray(values);
}

/** The named enum of a node, if it has one. */
export function namedEnum(node: Node): Enum | undefined {
  return node.type !== 'string' || node.enum === undefined || isEnumList(node.enum) ? undefined : node.enum;
}

export function enumValues(node: StringNode): readonly string[] | undefined {
  const { enum: values } = node;
  if (values === undefined || isEnumList(values)) return values;
  return values.values;
}

export function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** `invalid value <value>: <text>`, the style of every value error. */
export function invalid(value: unknown, text: string): string {
  return `invalid value ${show(value)}: ${text}`;
}

/** A CEL rule on a value whose JS twin is `ok`; a failure reads `invalid value <value>: <message>`. */
export function rule<T>(cel: string, message: string, ok: (self: T) => boolean): Check<T> {
  return { cel: { rule: cel, message }, test: (self) => (ok(self) ? undefined : invalid(self, message)) };
}
