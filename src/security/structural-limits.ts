/** Limits every call's arguments must keep, whatever the tool's schema says. */
export interface StructuralLimits {
  /** max_argument_bytes: the arguments' size as JSON text (UTF-8). */
  maxBytes: number;
  /** max_argument_depth: nesting of objects and arrays (the arguments object itself is 1). */
  maxDepth: number;
  /** max_argument_string_length: characters of any one string, keys included. */
  maxStringLength: number;
}

export const DEFAULT_STRUCTURAL_LIMITS: StructuralLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxStringLength: 1024 * 1024,
};

export interface StructuralViolation {
  /** JSON Pointer of the value over the limit ("" for the arguments as a whole). */
  path: string;
  message: string;
}

/**
 * Checks the limits in one walk over the arguments, stopping at the first one exceeded, without
 * encoding them: the size is the JSON text's byte length, counted (escapes inside strings are
 * counted as one byte per character, which only ever under-counts by the escapes' backslashes).
 * The walk allocates nothing per value: the path is built only for a violation.
 */
export function checkStructure(args: unknown, limits: StructuralLimits): StructuralViolation | undefined {
  const walker = new Walker(limits);
  const found = walker.visit(args, 1);
  if (found !== undefined) return found;
  if (walker.bytes > limits.maxBytes) {
    return { path: "", message: `arguments are ${walker.bytes} bytes as JSON, over max_argument_bytes (${limits.maxBytes})` };
  }
  return undefined;
}

class Walker {
  bytes = 0;
  /** Keys and indexes from the arguments down to the value being visited. */
  private readonly trail: (string | number)[] = [];

  constructor(private readonly limits: StructuralLimits) {}

  visit(value: unknown, depth: number): StructuralViolation | undefined {
    if (this.bytes > this.limits.maxBytes) return undefined; // over already: the caller reports it
    if (typeof value === "string") return this.visitString(value);
    if (typeof value === "number" || typeof value === "boolean") {
      this.bytes += String(value).length;
      return undefined;
    }
    if (value === null || typeof value !== "object") {
      this.bytes += value === null ? 4 : 0;
      return undefined;
    }
    if (depth > this.limits.maxDepth) return this.violation(`nested deeper than max_argument_depth (${this.limits.maxDepth})`);
    if (Array.isArray(value)) {
      this.bytes += 2 + Math.max(0, value.length - 1);
      for (let index = 0; index < value.length; index++) {
        this.trail.push(index);
        const found = this.visit(value[index], depth + 1);
        this.trail.pop();
        if (found !== undefined) return found;
      }
      return undefined;
    }
    this.bytes += 2;
    let first = true;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      this.bytes += first ? 1 : 2; // ":" and ","
      first = false;
      this.trail.push(key);
      const found = this.visitString(key) ?? this.visit((value as Record<string, unknown>)[key], depth + 1);
      this.trail.pop();
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private visitString(text: string): StructuralViolation | undefined {
    if (text.length > this.limits.maxStringLength) {
      return this.violation(`a string of ${text.length} characters, over max_argument_string_length (${this.limits.maxStringLength})`);
    }
    this.bytes += Buffer.byteLength(text, "utf8") + 2;
    return undefined;
  }

  private violation(message: string): StructuralViolation {
    return { path: this.trail.map((segment) => `/${escapePointer(String(segment))}`).join(""), message };
  }
}

/** JSON Pointer escaping of one key (RFC 6901). */
export function escapePointer(key: string): string {
  return key.includes("~") || key.includes("/") ? key.replace(/~/g, "~0").replace(/\//g, "~1") : key;
}
