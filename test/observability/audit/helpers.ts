import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { AuditSpec } from "../../../src/config/types.js";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import { AuditTrail } from "../../../src/observability/audit/trail.js";
import { Redactor } from "../../../src/shared/redaction.js";
import { builtWriterScript } from "../../helpers/audit-db.js";

/** Audit trails on real SQLite files in a temp dir, closed and removed after each test. */
export function useAuditFiles(): {
  dir: () => string;
  open: (spec?: Partial<AuditSpec>, options?: { source?: string; redactor?: Redactor; crashWriterThreadOn?: string; threadAtEvents?: number }) => { trail: AuditTrail; bus: DomainEventBus; errors: unknown[] };
} {
  let dir: string | undefined;
  const trails: AuditTrail[] = [];
  afterEach(() => {
    for (const trail of trails.splice(0)) trail.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const requireDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), "hangar-audit-")));
  return {
    dir: requireDir,
    open: (spec = {}, options = {}) => {
      const errors: unknown[] = [];
      const trail = new AuditTrail({
        spec: { enabled: true, path: join(requireDir(), "audit.db"), capture: "hash", retentionDays: 30, batchMs: 100, writerThread: true, ...spec },
        source: options.source ?? "/etc/hangar.yaml",
        redactor: options.redactor ?? new Redactor(),
        onError: (error) => errors.push(error),
        // The writer thread, as a built hangar runs it, from the first event on (a hangar starts it once events come fast).
        writerScript: builtWriterScript(),
        threadAtEvents: options.threadAtEvents ?? 0,
        ...(options.crashWriterThreadOn === undefined ? {} : { crashWriterThreadOn: options.crashWriterThreadOn }),
      });
      // Started: the first flush waits for the writer thread to boot (tens of ms), which tests timing a flush must not count.
      trail.flush();
      const bus = new DomainEventBus();
      trail.attach(bus);
      trails.push(trail);
      return { trail, bus, errors };
    },
  };
}
