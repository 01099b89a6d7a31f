import { describe, expect, it } from "vitest";
import { emptyStatus, withScan } from "../../src/discovery/status.js";

const spec = { id: "pod" } as never;

describe("a source's status, folded from its scans", () => {
  it("a scan with neither providers nor an error is no sync: the source is still listing", () => {
    const listing = withScan(emptyStatus(), { specs: undefined, rejected: [] }, 1_000);
    expect(listing.lastSyncAt).toBeUndefined();
    const synced = withScan(listing, { specs: [spec], rejected: [] }, 2_000);
    expect(synced).toMatchObject({ specs: [spec], lastSyncAt: 2_000, error: undefined });
  });

  it("a failed scan is a sync that reports its error and keeps the last good set", () => {
    const synced = withScan(emptyStatus(), { specs: [spec], rejected: [] }, 1_000);
    const failed = withScan(synced, { specs: undefined, error: "connection refused", rejected: [] }, 2_000);
    expect(failed).toMatchObject({ specs: [spec], error: "connection refused", lastSyncAt: 2_000, lastErrorAt: 2_000 });
  });
});
