import fc from "fast-check";
import { escapePointer } from "../../src/security/structural-limits.js";

/**
 * fast-check arbitraries from JSON Schemas, for the keywords real MCP tool schemas use (type,
 * properties, required, items, enum, minimum/maximum, minItems, format uri): values that fit a
 * schema, and values that break it at a known path.
 */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  additionalProperties?: boolean | Schema;
}

const SMALL_LIST = 3;

function typeOf(schema: Schema): string | undefined {
  return Array.isArray(schema.type) ? schema.type[0] : schema.type;
}

/** Values valid against `schema`. */
export function validValue(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  switch (typeOf(schema)) {
    case "string":
      return schema.format === "uri" ? fc.webUrl() : fc.string({ maxLength: 20 });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case "integer":
      return fc.integer({ min: Math.ceil(schema.minimum ?? -1e6), max: Math.floor(schema.maximum ?? 1e6) });
    case "boolean":
      return fc.boolean();
    case "array": {
      const minLength = schema.minItems ?? 0;
      return fc.array(validValue(schema.items ?? {}), { minLength, maxLength: Math.max(minLength, schema.maxItems ?? SMALL_LIST) });
    }
    case "object":
      return validObject(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export function validObject(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) model[key] = validValue(property);
  return fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
}

/** A value of another JSON type than `schema` asks for. */
function wrongType(schema: Schema): fc.Arbitrary<unknown> | undefined {
  switch (typeOf(schema)) {
    case "string":
      return fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    case "number":
    case "integer":
      return fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant({}));
    case "boolean":
      return fc.oneof(fc.string(), fc.integer(), fc.constant(null));
    case "array":
      return fc.oneof(fc.string(), fc.integer(), fc.constant({}));
    case "object":
      return fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }));
    default:
      return undefined;
  }
}

/** Values of the right type that break another keyword (enum, minimum, maximum, minItems). */
function wrongValue(schema: Schema): fc.Arbitrary<unknown> | undefined {
  if (schema.enum !== undefined) {
    const allowed = schema.enum;
    return fc.string({ minLength: 1, maxLength: 12 }).filter((value) => !allowed.includes(value));
  }
  const type = typeOf(schema);
  if ((type === "number" || type === "integer") && schema.minimum !== undefined) {
    return fc.integer({ min: 1, max: 1000 }).map((below) => (schema.minimum ?? 0) - below);
  }
  if ((type === "number" || type === "integer") && schema.maximum !== undefined) {
    return fc.integer({ min: 1, max: 1000 }).map((above) => (schema.maximum ?? 0) + above);
  }
  if (type === "array" && (schema.minItems ?? 0) > 0) return fc.constant([]);
  return undefined;
}

export interface InvalidArguments {
  args: Record<string, unknown>;
  /** JSON Pointer where the arguments break the schema. */
  path: string;
  /** How they were broken, for failure messages. */
  how: string;
}

/**
 * Arguments that break `schema` at one known place: a required key left out, a value of the
 * wrong type, or a value outside its enum or bounds — at the top level or inside arrays and
 * nested objects. Undefined when the schema accepts every object (no keyword to break).
 */
export function invalidArguments(schema: Schema): fc.Arbitrary<InvalidArguments> | undefined {
  const options = breakings(schema, "");
  return options.length === 0 ? undefined : fc.oneof(...options);
}

function breakings(schema: Schema, path: string): fc.Arbitrary<InvalidArguments>[] {
  const properties = schema.properties ?? {};
  const options: fc.Arbitrary<InvalidArguments>[] = [];
  const base = validObject(schema);
  for (const key of schema.required ?? []) {
    options.push(
      base.map((args) => {
        const copy = Object.fromEntries(Object.entries(args).filter(([name]) => name !== key));
        return { args: copy, path: `${path}/${escapePointer(key)}`, how: `required ${key} left out` };
      }),
    );
  }
  for (const [key, property] of Object.entries(properties)) {
    const at = `${path}/${escapePointer(key)}`;
    for (const [how, bad] of [
      ["wrong type", wrongType(property)],
      ["wrong value", wrongValue(property)],
    ] as const) {
      if (bad === undefined) continue;
      options.push(fc.tuple(base, bad).map(([args, value]) => ({ args: { ...args, [key]: value }, path: at, how: `${how} at ${key}` })));
    }
    // One level down: an object inside an array (edit_file's edits) or a nested object.
    const items = property.items;
    if (typeOf(property) === "array" && items !== undefined && typeOf(items) === "object") {
      for (const nested of breakings(items, `${at}/0`)) {
        options.push(fc.tuple(base, nested).map(([args, inner]) => ({ args: { ...args, [key]: [inner.args] }, path: inner.path, how: `${inner.how} in ${key}[0]` })));
      }
    }
  }
  return options;
}
