import { existsSync } from "node:fs";
import { ConfigError } from "../config/errors.js";
import { findConfigFile } from "../config/find.js";
import { auditOf, loadConfig } from "../config/load.js";
import { queryEvents, type AuditEvent } from "../observability/audit/query.js";
import { defaultAuditPath, openAuditDatabase } from "../observability/audit/store.js";
import { verifyChain } from "../observability/audit/verify.js";
import type { AuditFlags } from "./audit-args.js";

/**
 * `mcp-hangar audit …`: reads the trail a hangar wrote (read-only, while hangars keep writing)
 * and prints matching events as a table or JSON lines, or verifies the hash chain. Exit codes:
 * 0 ok, 1 the chain is broken or the file cannot be read, 2 usage.
 */
const DEFAULT_TABLE_LIMIT = 200;

export interface AuditOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `--db`, else the config's audit.path (the config given, or the one the hangar would find), else the default. */
export function auditDatabasePath(flags: AuditFlags, cwd: string, env: NodeJS.ProcessEnv): string {
  if (flags.db !== undefined) return flags.db;
  const configPath = flags.configPath ?? findConfigFile(cwd, env);
  if (configPath !== undefined) {
    const path = auditOf(loadConfig(configPath, env)).path;
    if (path !== undefined) return path;
  }
  return defaultAuditPath(env);
}

export function runAudit(flags: AuditFlags, output: AuditOutput, cwd = process.cwd(), env = process.env): number {
  let path: string;
  try {
    path = auditDatabasePath(flags, cwd, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(`mcp-hangar: invalid config\n${error.format()}`);
      return 1;
    }
    throw error;
  }
  if (path === ":memory:") {
    output.err("mcp-hangar: the config keeps its audit trail in memory (audit.path: \":memory:\"); there is no file to read");
    return 1;
  }
  if (!existsSync(path)) {
    output.err(`mcp-hangar: no audit trail at ${path} (a hangar creates it when it starts with audit enabled)`);
    return 1;
  }
  const db = openAuditDatabase(path, { readonly: true });
  try {
    if (flags.action === "verify") {
      const result = verifyChain(db);
      if (result.ok) {
        const anchor = result.anchoredAt === undefined ? "" : ` (after the retention anchor at row ${result.anchoredAt})`;
        output.out(`${path}: ok — ${result.rows} rows, the hash chain is intact${anchor}`);
        return 0;
      }
      output.err(`${path}: BROKEN at row ${result.brokenId} — ${result.reason} (${result.rows} rows before it verified)`);
      return 1;
    }
    const events = queryEvents(db, {
      ...(flags.provider === undefined ? {} : { provider: flags.provider }),
      ...(flags.sinceMs === undefined ? {} : { sinceMs: flags.sinceMs }),
      ...(flags.correlationId === undefined ? {} : { correlationId: flags.correlationId }),
      ...(flags.type === undefined ? {} : { type: flags.type }),
      ...(flags.limit !== undefined ? { limit: flags.limit } : flags.json ? {} : { limit: DEFAULT_TABLE_LIMIT }),
    });
    if (flags.json) {
      for (const event of events) output.out(JSON.stringify(event));
    } else {
      output.out(formatTable(events));
    }
    return 0;
  } finally {
    db.close();
  }
}

const HEADERS = ["ID", "TIME", "TYPE", "PROVIDER", "CORRELATION", "PRINCIPAL", "DETAILS"];
const MAX_DETAILS = 100;

export function formatTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return "(no matching events)";
  const rows = events.map((event) => [
    String(event.id),
    event.time,
    event.type,
    event.provider ?? "-",
    event.correlationId ?? "-",
    event.principal ?? "-",
    details(event.data),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)].join("\n");
}

/**
 * `key=value` pairs of the payload, one line, clipped. A call's arguments come right after its
 * tool: a call answered before its batch was written is one row, its answer's, which carries them
 * after the answer's own fields (docs/audit.md) — the clip would hide them behind the result.
 */
function details(data: Record<string, unknown>): string {
  const entries = Object.entries(data);
  const tool = entries.findIndex(([key]) => key === "tool");
  const args = entries.findIndex(([key]) => key === "arguments");
  if (tool >= 0 && args > tool + 1) entries.splice(tool + 1, 0, ...entries.splice(args, 1));
  const text = entries
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ")
    .replace(/\s+/g, " ");
  return text.length > MAX_DETAILS ? `${text.slice(0, MAX_DETAILS - 1)}…` : text;
}
