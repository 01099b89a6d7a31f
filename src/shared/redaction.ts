/**
 * One place that masks secret values wherever text leaves the process (logs, errors, details,
 * and later traces and the audit log). Values are registered once — provider env, headers, and
 * config keys named like secrets — and masked by value, so a secret is hidden even when a
 * provider echoes it back in its stderr.
 */
const SECRET_KEY_PATTERN = /(token|secret|password|passwd|api[_-]?key|apikey|private[_-]?key|credential|auth)/i;
const MASK = "***";
/** Values shorter than this are too common to mask by value without destroying unrelated text. */
const MIN_SECRET_LENGTH = 4;

export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  register(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = undefined;
  }

  /** Registers every value of a map (provider env, headers). */
  registerAll(values: Record<string, string> | undefined): void {
    for (const value of Object.values(values ?? {})) this.register(value);
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, MASK);
  }

  /** Deep copy with secret-named keys masked and registered values masked in every string. */
  redactValue(value: unknown): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        out[key] = looksLikeSecretKey(key) && typeof inner === "string" ? MASK : this.redactValue(inner);
      }
      return out;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The process-wide redactor: config loading registers secrets, every exit point redacts. */
export const redactor = new Redactor();
