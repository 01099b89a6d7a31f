import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { queryEvents, type AuditEvent, type AuditFilter } from "../../src/observability/audit/query.js";
import { openAuditDatabase } from "../../src/observability/audit/store.js";
import { verifyChain, type VerifyResult } from "../../src/observability/audit/verify.js";

/** The audit database in `dir`, its WAL and shared memory, as raw bytes (latin1), to search for what must not be there. */
export function auditFileBytes(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.startsWith("audit.db"))
    .map((name) => readFileSync(join(dir, name)).toString("latin1"))
    .join("\n");
}

/** Reads an audit file the way a person would: a separate, read-only connection. */
export function readAudit(path: string, filter: AuditFilter = {}): AuditEvent[] {
  if (!existsSync(path)) throw new Error(`no audit file at ${path}`);
  const db = openAuditDatabase(path, { readonly: true });
  try {
    return queryEvents(db, filter);
  } finally {
    db.close();
  }
}

export function verifyAudit(path: string): VerifyResult {
  const db = openAuditDatabase(path, { readonly: true });
  try {
    return verifyChain(db);
  } finally {
    db.close();
  }
}

/** `Type` or `Type(detail)`: an event as the sequence tests compare it. */
export function brief(event: AuditEvent): string {
  const data = event.data;
  switch (event.type) {
    case "ProviderStateChanged":
      return `${event.type}(${String(data.from)}→${String(data.to)})`;
    case "ProviderStopped":
      return `${event.type}(${String(data.reason)})`;
    case "ToolInvocationRequested":
      return `${event.type}(${String(data.tool)})`;
    case "ToolInvocationCompleted":
    case "ToolInvocationFailed":
      return `${event.type}(${String(data.tool)}, ${String(data.kind)})`;
    default:
      return event.type;
  }
}

/** The built audit writer thread (dist/): a worker thread runs JavaScript, not the sources vitest reads. */
export function builtWriterScript(): URL {
  const script = new URL("../../dist/observability/audit/writer-thread.js", import.meta.url);
  if (!existsSync(script)) throw new Error(`${script.pathname} does not exist: run npm run build before the audit tests`);
  return script;
}
