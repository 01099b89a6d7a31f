// What the audit file's schema costs per row: the same paired call rows (one per answered call,
// encoded as the writer encodes them) chained and appended in batches, on files whose `events`
// table differs — AUTOINCREMENT or not, which indexes exist — alternated round by round, medians.
// `npm run build && node bench/audit-schema.js [rows] [variant,…]` (default 30000 rows a round;
// BENCH_AUDIT_SCHEMA_BATCH rows a transaction, default 1024: a busy hangar's batch).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import process from "node:process";
import Database from "better-sqlite3";
import { dist } from "./lib/instant-runtime.js";
import { median } from "./lib/stats.js";

const ROWS = Number(process.argv[2] ?? 30_000);
const ONLY = process.argv[3]?.split(",");
const BATCH = Number(process.env.BENCH_AUDIT_SCHEMA_BATCH ?? 1024);
const ROUNDS = Number(process.env.BENCH_AUDIT_SCHEMA_ROUNDS ?? 5);
const { createRowEncoder } = await dist("observability/audit/capture.js");
const { chainHash } = await dist("observability/audit/chain.js");
const { Redactor } = await dist("shared/redaction.js");
const { newCorrelationId } = await dist("shared/correlation-id.js");
const { CallPairing } = await dist("observability/audit/call-pairing.js");

const encoder = createRowEncoder({ capture: "hash", key: Buffer.alloc(32, 7), redactor: new Redactor(), instance: "2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b", source: "/home/me/hangar.yaml" });
let seq = 0;
function rowsOf(count) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const correlationId = newCorrelationId();
    const base = { providerId: "fixture", tool: "echo", correlationId, systemId: "provider:fixture", principal: undefined };
    events.push(Object.assign({ type: "ToolInvocationRequested" }, base, { arguments: { text: "hello" }, seq: ++seq, timestamp: Date.now() }));
    events.push(
      Object.assign({ type: "ToolInvocationCompleted" }, base, { kind: "ok", durationMs: 0.21, toolResult: { content: [{ type: "text", text: "hello" }] }, seq: ++seq, timestamp: Date.now() }),
    );
  }
  return new CallPairing("hash").pairObjects(events).map((event) => encoder.encode(event));
}

const TABLE = (autoincrement) => `CREATE TABLE events (
  id INTEGER PRIMARY KEY${autoincrement ? " AUTOINCREMENT" : ""}, ts INTEGER NOT NULL, instance TEXT NOT NULL, seq INTEGER NOT NULL,
  source TEXT NOT NULL, system_id TEXT NOT NULL, type TEXT NOT NULL, provider TEXT, correlation_id TEXT, principal TEXT,
  payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`;
const PROVIDER = "CREATE INDEX events_by_provider ON events (provider, id);";
const CORRELATION = "CREATE INDEX events_by_correlation ON events (correlation_id);";
const TIME = "CREATE INDEX events_by_time ON events (ts);";
const VARIANTS = {
  today: TABLE(true) + PROVIDER + CORRELATION + TIME,
  noautoinc: TABLE(false) + PROVIDER + CORRELATION + TIME,
  "noautoinc-notime": TABLE(false) + PROVIDER + CORRELATION,
  "noautoinc-noprovider": TABLE(false) + CORRELATION + TIME,
  "noautoinc-nocorrelation": TABLE(false) + PROVIDER + TIME,
  "noautoinc-noindex": TABLE(false),
  "today-notime": TABLE(true) + PROVIDER + CORRELATION,
};

function open(path, schema) {
  const db = new Database(path);
  db.pragma("page_size = 16384");
  db.pragma("journal_mode = WAL");
  db.pragma(`wal_autocheckpoint = 250`);
  db.pragma("synchronous = NORMAL");
  db.pragma("cache_size = -2048");
  db.exec(schema);
  const last = db.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1");
  const insert = db.prepare(
    "INSERT INTO events (id, ts, instance, seq, source, system_id, type, provider, correlation_id, principal, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const append = db.transaction((rows) => {
    const before = last.get();
    let prevHash = before?.hash ?? "0".repeat(64);
    let id = before?.id ?? 0;
    for (const row of rows) {
      const hash = chainHash(prevHash, row);
      id += 1;
      insert.run(id, row.ts, row.instance, row.seq, row.source, row.systemId, row.type, row.provider, row.correlationId, row.principal, row.payload, prevHash, hash);
      prevHash = hash;
    }
  });
  return { db, append: (rows) => append.immediate(rows) };
}

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const names = Object.keys(VARIANTS).filter((name) => ONLY === undefined || ONLY.includes(name));
const dir = mkdtempSync(join(tmpdir(), "hangar-audit-schema-"));
try {
  const stores = Object.fromEntries(names.map((name) => [name, open(join(dir, `${name}.db`), VARIANTS[name])]));
  const results = Object.fromEntries(names.map((name) => [name, []]));
  // A warm-up round each: the code optimized, the files past their first pages.
  const rounds = [rowsOf(ROWS)];
  for (let round = 0; round < ROUNDS; round++) rounds.push(rowsOf(ROWS));
  for (const [index, rows] of rounds.entries()) {
    for (const name of index % 2 === 0 ? names : [...names].reverse()) {
      const start = cpu();
      for (let i = 0; i < rows.length; i += BATCH) stores[name].append(rows.slice(i, i + BATCH));
      if (index > 0) results[name].push((cpu() - start) / rows.length);
    }
  }
  for (const name of names) {
    const pages = stores[name].db.pragma("page_count", { simple: true });
    process.stdout.write(`${name.padEnd(26)} ${median(results[name]).toFixed(2).padStart(6)} µs/row (chain + insert + commit; ${results[name].map((us) => us.toFixed(2)).join(" ")}), ${pages} pages\n`);
    stores[name].db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
