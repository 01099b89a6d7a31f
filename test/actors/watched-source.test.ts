import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { watchedSourceBody } from "../../src/actors/watched-source.js";
import type { SourceBody, SourceInput, SourceReportEvent, SourceScan } from "../../src/discovery/source-protocol.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The folder-watching source body on a real folder and real fs.watch. Its scanner here reports the
 * folder's file names (as rejected items, the one list a scan carries besides specs).
 */
const stops: (() => void)[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folderScan(folder: string): SourceScan {
  return { specs: [], rejected: readdirSync(folder).map((name) => ({ item: name, message: "seen" })) };
}

function run(body: SourceBody, reports: SourceReportEvent[]): void {
  const input = { source: { id: "filesystem:test" }, env: {} } as unknown as SourceInput;
  const stop = body({
    input,
    sendBack: (event: SourceReportEvent) => reports.push(event),
    receive: () => undefined,
  } as unknown as Parameters<SourceBody>[0]);
  if (typeof stop === "function") stops.push(stop);
}

describe("watched source", () => {
  it("sees a file that arrives right after its first scan read the folder", async () => {
    const folder = mkdtempSync(join(tmpdir(), "watched-source-"));
    dirs.push(folder);
    let scans = 0;
    const body = watchedSourceBody({
      folders: () => [folder],
      scanner: () => () => {
        const result = folderScan(folder);
        scans += 1;
        // The file lands after the folder was read, before the scan's result is reported.
        if (scans === 1) writeFileSync(join(folder, "late.yaml"), "providers: {}\n");
        return result;
      },
    });
    const reports: SourceReportEvent[] = [];
    run(body, reports);
    await waitFor(() => reports.length > 0, 5_000, "the first report");
    expect(reports[0]?.scan.rejected).toEqual([]);
    // fs.watch saw the write: a second scan reports the file (the old order watched after the scan and never did).
    await waitFor(() => reports.some((report) => report.scan.rejected.some((item) => item.item === "late.yaml")), 5_000, "a report naming late.yaml");
  });
});
