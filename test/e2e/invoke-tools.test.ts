import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, textOf, useE2E } from "../helpers/cli.js";

const e2e = useE2E();

interface InvokeMeta {
  correlation_id: string;
  attempts: number;
  total_ms: number;
  retries: { attempt: number; kind: string; reason: string }[];
  not_retried?: string;
}

function invokeMeta(result: { _meta?: Record<string, unknown> }): InvokeMeta {
  return result._meta?.["mcp-hangar/invoke"] as InvokeMeta;
}

describe("registry_invoke_ex and registry_invoke_stream", () => {
  it("registry_invoke_ex reports attempts, time and retry reasons, and retries an unsafe tool only when forced", async () => {
    const marker = e2e.marker();
    const { client } = await e2e.start({ providers: { fx: { command: fixtureCommand("conformance-server.js", marker) } } });

    const ok = await callTool(client, "registry_invoke_ex", { provider: "fx", tool: "test_simple_text", correlation_id: "corr-1" });
    expect(textOf(ok)).toContain("simple text");
    expect(invokeMeta(ok)).toMatchObject({ correlation_id: "corr-1", attempts: 1, retries: [] });
    expect(invokeMeta(ok).total_ms).toBeGreaterThanOrEqual(0);

    // test_error_handling always fails and has no annotations: not safe to repeat.
    const unforced = await callTool(client, "registry_invoke_ex", {
      provider: "fx",
      tool: "test_error_handling",
      max_retries: 2,
      retry_on_error: ["tool_error"],
    });
    expect(unforced.isError).toBe(true);
    expect(invokeMeta(unforced)).toMatchObject({ attempts: 1, retries: [] });
    expect(invokeMeta(unforced).not_retried).toMatch(/not annotated readOnlyHint or idempotentHint/);

    const forced = await callTool(client, "registry_invoke_ex", {
      provider: "fx",
      tool: "test_error_handling",
      max_retries: 2,
      retry_on_error: ["tool_error"],
      force_retry: true,
    });
    expect(forced.isError).toBe(true);
    expect(invokeMeta(forced)).toMatchObject({
      attempts: 3,
      retries: [
        { attempt: 1, kind: "tool_error", reason: "the tool returned isError" },
        { attempt: 2, kind: "tool_error", reason: "the tool returned isError" },
      ],
    });
  });

  it("registry_invoke_stream reports the lifecycle stages of a cold start, then the provider's own progress", async () => {
    const marker = e2e.marker();
    const { client } = await e2e.start({ providers: { fx: { command: fixtureCommand("conformance-server.js", marker) } } });
    const seen: Progress[] = [];
    const late: string[] = [];
    client.onerror = (error) => late.push(error.message);
    const result = await callTool(
      client,
      "registry_invoke_stream",
      { provider: "fx", tool: "test_tool_with_progress" },
      { onprogress: (progress) => seen.push(progress) },
    );
    expect(result.isError).not.toBe(true);
    const steps = seen.map((progress) => [progress.progress, progress.message]);
    expect(steps.slice(0, 4)).toEqual([
      [1, "cold start"],
      [2, "initializing"],
      [3, "ready"],
      [4, "executing"],
    ]);
    // The provider's 0, 50, 100 of 100 follow as 5, 55, 105 of 105 (the last may arrive with the answer).
    expect(seen.slice(4).map((progress) => [progress.progress, progress.total])).toEqual([[5, 105], [55, 105], [105, 105]].slice(0, seen.length - 4));
    expect(seen.length + late.filter((message) => message.includes("unknown token")).length).toBe(7);

    // Warm now: no lifecycle stages but "executing".
    const warm: Progress[] = [];
    await callTool(client, "registry_invoke_stream", { provider: "fx", tool: "test_tool_with_progress" }, { onprogress: (progress) => warm.push(progress) });
    expect(warm[0]).toMatchObject({ progress: 4, message: "executing" });
  });
});
