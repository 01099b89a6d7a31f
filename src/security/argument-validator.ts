import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { escapePointer } from "./structural-limits.js";

/** One way the arguments break the tool's inputSchema. */
export interface ArgumentViolation {
  /** JSON Pointer into the arguments ("" = the arguments object itself). */
  path: string;
  message: string;
}

type AjvInstance = Ajv | Ajv2019 | Ajv2020;
type Dialect = "draft-07" | "2019-09" | "2020-12";

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module.
const addFormats = addFormatsModule as unknown as (ajv: AjvInstance) => AjvInstance;

/** What a schema's compilation left: a validator, or nothing when the schema cannot be compiled. */
type Compiled = ValidateFunction | null;

/**
 * Validates tool arguments against the tool's `inputSchema` with ajv. Each schema object is
 * compiled once and its validator cached against that object (a WeakMap: a tool list that is
 * replaced takes its validators with it), so a call costs one WeakMap lookup and the validator.
 *
 * The dialect follows `$schema`: draft-07 (what zod-to-json-schema and most servers emit),
 * 2019-09, and 2020-12 — also the default when `$schema` is absent, as MCP specifies. Nothing is
 * coerced, defaulted or removed: valid arguments reach the provider exactly as sent. A schema ajv
 * cannot compile (an unknown draft, a broken `$ref`) validates nothing rather than blocking the
 * tool; `onUncompilable` hears about it once per schema.
 *
 * A schema is checked against its dialect's meta-schema only once it has refused some arguments,
 * not when it is compiled: ajv compiles a meta-schema the first time it checks a schema against
 * it, 30–150 ms of CPU that the hangar's first call of each dialect waited for (on a cold start,
 * before the provider was spawned). Arguments a schema lets through need no such check; a schema
 * that breaks its meta-schema and refuses arguments is then set aside as one that cannot be
 * compiled, as ajv's own check at compile time did, so no call is refused by a broken schema.
 */
export class ArgumentValidator {
  private readonly compiled = new WeakMap<object, Compiled>();
  private readonly instances = new Map<Dialect, AjvInstance>();
  /** Schemas already checked against their meta-schema (see above). */
  private readonly metaChecked = new WeakSet<object>();

  constructor(private readonly onUncompilable: (error: unknown) => void = () => undefined) {}

  /** The violations, or undefined when the arguments are valid (or the schema cannot be used). */
  validate(schema: object, args: Record<string, unknown>): ArgumentViolation[] | undefined {
    let validator = this.compiled.get(schema);
    if (validator === undefined) validator = this.compile(schema);
    if (validator === null || validator(args)) return undefined;
    const errors = validator.errors ?? [];
    if (!this.metaChecked.has(schema)) {
      this.metaChecked.add(schema);
      if (!this.followsMetaSchema(schema)) {
        this.compiled.set(schema, null);
        return undefined;
      }
    }
    return errors.map(toViolation);
  }

  /** Whether the schema is valid against its dialect's meta-schema (`onUncompilable` hears why not). */
  private followsMetaSchema(schema: object): boolean {
    const ajv = this.instance(dialectOf(schema));
    try {
      if (ajv.validateSchema(schema) === true) return true;
      this.onUncompilable(new Error(`schema is invalid: ${ajv.errorsText(ajv.errors)}`));
    } catch (error) {
      this.onUncompilable(error);
    }
    return false;
  }

  private compile(schema: object): Compiled {
    let validator: Compiled;
    try {
      const ajv = this.instance(dialectOf(schema));
      validator = ajv.compile(schema);
      // ajv also caches by schema object, strongly; the WeakMap is the only cache wanted.
      ajv.removeSchema(schema);
    } catch (error) {
      this.onUncompilable(error);
      validator = null;
    }
    this.compiled.set(schema, validator);
    return validator;
  }

  private instance(dialect: Dialect): AjvInstance {
    let ajv = this.instances.get(dialect);
    if (ajv === undefined) {
      // strict: false — real-world schemas carry keywords ajv does not know; they must not break a tool.
      // addUsedSchema: false — two providers may use the same $id for different schemas.
      // validateSchema: false — the meta-schema check comes later, and only if needed (see above).
      const options = { allErrors: true, strict: false, addUsedSchema: false, validateFormats: true, validateSchema: false };
      ajv = dialect === "2020-12" ? new Ajv2020(options) : dialect === "2019-09" ? new Ajv2019(options) : new Ajv(options);
      addFormats(ajv);
      this.instances.set(dialect, ajv);
    }
    return ajv;
  }
}

function dialectOf(schema: object): Dialect {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (typeof declared !== "string") return "2020-12";
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  return "draft-07";
}

function toViolation(error: ErrorObject): ArgumentViolation {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { path: `${error.instancePath}/${escapePointer(String(params.missingProperty))}`, message: "is required" };
    case "additionalProperties":
      return { path: `${error.instancePath}/${escapePointer(String(params.additionalProperty))}`, message: "is not allowed (additionalProperties)" };
    case "unevaluatedProperties":
      return { path: `${error.instancePath}/${escapePointer(String(params.unevaluatedProperty))}`, message: "is not allowed (unevaluatedProperties)" };
    case "enum":
      return { path: error.instancePath, message: `must be one of ${JSON.stringify(params.allowedValues)}` };
    default:
      return { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  }
}
