import { FAILSAFE_SCHEMA, load, Type } from "js-yaml";

/**
 * The common case of reading a config — valid YAML, no anchors, nothing to report — without the
 * cost of `yaml`'s document model: for a config of 200 providers `parseDocument` takes
 * 0.3–0.8 s and leaves ~10 MB of promoted garbage in the old generation (resident until V8's
 * memory reducer gets round to it, ~25 s later); js-yaml reads the same text in a tenth of the
 * time and nearly nothing survives it. Whatever is not plainly the common case returns
 * undefined, and load.ts reads the text with `yaml` as before — the only path that reports
 * problems, with their lines and columns.
 *
 * The values must be exactly what `yaml` (YAML 1.2, core schema) makes of the text, so plain
 * scalars resolve with `yaml`'s own core-schema patterns, not js-yaml's (which also read
 * `1_000`, `0b101` and `+.5e3`-style numbers).
 */

/** An anchor (`&name`) where a node may start: aliases share objects, and `yaml` bounds their expansion; left to `yaml`. */
const ANCHOR = /(?:^|[\s[{,:])&\S/m;
/** A directive (`%YAML 1.1` changes the schema) or a complex mapping key (`? `): left to `yaml`. */
const UNUSUAL_SYNTAX = /^(?:%|\s*\?\s)/m;

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCTAL = /^0o[0-7]+$/;
const DECIMAL = /^[-+]?[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const INFINITE_OR_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXPONENTIAL = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FRACTION = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const isText = (data: unknown): data is string => typeof data === "string";

const CORE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type("tag:yaml.org,2002:null", { kind: "scalar", resolve: (data: unknown) => data === null || (isText(data) && NULL.test(data)), construct: () => null }),
    new Type("tag:yaml.org,2002:bool", { kind: "scalar", resolve: (data: unknown) => isText(data) && BOOL.test(data), construct: (data: string) => data.toLowerCase() === "true" }),
    new Type("tag:yaml.org,2002:int", {
      kind: "scalar",
      resolve: (data: unknown) => isText(data) && (OCTAL.test(data) || DECIMAL.test(data) || HEX.test(data)),
      construct: (data: string) => (OCTAL.test(data) ? parseInt(data.slice(2), 8) : HEX.test(data) ? parseInt(data.slice(2), 16) : parseInt(data, 10)),
    }),
    new Type("tag:yaml.org,2002:float", {
      kind: "scalar",
      resolve: (data: unknown) => isText(data) && (INFINITE_OR_NAN.test(data) || EXPONENTIAL.test(data) || FRACTION.test(data)),
      construct: (data: string) => {
        if (!INFINITE_OR_NAN.test(data)) return parseFloat(data);
        if (data.slice(-3).toLowerCase() === "nan") return NaN;
        return data.startsWith("-") ? -Infinity : Infinity;
      },
    }),
  ],
});

/** The config text as plain data, or undefined when it is not plainly the common case (then `yaml` reads it). */
export function quickLoad(text: string): unknown {
  if (ANCHOR.test(text) || UNUSUAL_SYNTAX.test(text)) return undefined;
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch {
    // Invalid YAML, a duplicate key, an unknown tag, several documents: `yaml` says where.
    return undefined;
  }
}
