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
/** A value under an innocent name that still looks like a credential. */
const TOKEN_LIKE = /^[^\s/]{12,}$/;
/** A URL that carries credentials (`scheme://user:password@host`). */
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/\s]*@/i;

export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;
  private registrations = 0;

  register(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = undefined;
    this.registrations += 1;
  }

  /** Bumped by every new secret: a copy of this redactor elsewhere (the audit writer's thread) knows when to refresh. */
  get version(): number {
    return this.registrations;
  }

  /** The registered values, to hand to a copy of this redactor in another thread (in memory, never argv, env or a file). */
  secretValues(): string[] {
    return [...this.secrets];
  }

  /**
   * Registers the secret-looking values of a map (provider env, headers): every value under a
   * secret-like key, and any other value that looks like a token (long, no spaces or slashes) or
   * is a URL with credentials.
   * Masking every env value would turn "info" or "6" into *** all over the logs.
   */
  registerAll(values: Record<string, string> | undefined): void {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (looksLikeSecretKey(key) || TOKEN_LIKE.test(value) || URL_WITH_CREDENTIALS.test(value)) this.register(value);
    }
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
