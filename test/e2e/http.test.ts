import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, jsonOf, textOf } from "../helpers/cli.js";
import { rawRequest, useHttpE2E } from "../helpers/http.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useHttpE2E();

const FAULTY_TOOLS = [
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
  { name: "slow", inputSchema: { type: "object", properties: { ms: { type: "number" } }, required: ["ms"] } },
  {
    name: "progress",
    inputSchema: { type: "object", properties: { steps: { type: "number" }, interval_ms: { type: "number" } }, required: ["steps", "interval_ms"] },
  },
];

function faultyConfig(marker: string, extra: object = {}): object {
  return { providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: FAULTY_TOOLS } }, ...extra };
}

function answersClient(clients: { client: Client }[]): Client {
  const first = clients[0];
  if (first === undefined) throw new Error("no client");
  return first.client;
}

interface ProbeBody {
  status: string;
  providers: { id: string; state: string }[];
  checks?: Record<string, boolean>;
}

describe("the HTTP front end", () => {
  it("serves several streamable HTTP and SSE clients at once from one set of providers, each getting its own answers", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(faultyConfig(marker));
    const clients: { name: string; client: Client }[] = [];
    for (let i = 0; i < 3; i++) clients.push({ name: `streamable-${i}`, client: (await e2e.streamable(hangar.url)).client });
    for (let i = 0; i < 2; i++) clients.push({ name: `sse-${i}`, client: (await e2e.sse(hangar.url)).client });

    // Every client calls at the same time, interleaved with slow calls, and must get its own texts back.
    const CALLS = 6;
    const answers = await Promise.all(
      clients.map(async ({ name, client }) => {
        const results = await Promise.all(
          Array.from({ length: CALLS }, (_, index) =>
            index % 3 === 0
              ? callTool(client, "faulty__slow", { ms: 50 + index * 10 }).then(textOf)
              : callTool(client, "faulty__echo", { text: `${name}/${index}` }).then(textOf),
          ),
        );
        return { name, results };
      }),
    );
    for (const { name, results } of answers) {
      expect(results).toEqual(
        Array.from({ length: CALLS }, (_, index) => (index % 3 === 0 ? `slept ${50 + index * 10}` : `${name}/${index}`)),
      );
    }

    // One provider process behind every session, which saw every call.
    expect(findProcesses(marker)).toHaveLength(1);
    const details = jsonOf(await callTool(answersClient(clients), "registry_details", { provider: "faulty" }));
    expect(details.calls).toBe(clients.length * CALLS);
    expect(details.starts).toBe(1);
  });

  it("sends a call's progress only to the session that made it", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(faultyConfig(marker));
    const a = (await e2e.streamable(hangar.url, { name: "a" })).client;
    const b = (await e2e.streamable(hangar.url, { name: "b" })).client;
    const c = (await e2e.sse(hangar.url, { name: "c" })).client;
    // A progress notification for a token a client does not know lands in its onerror. The SDK's
    // client also puts there one that arrives in the same read as its call's answer (it settles
    // the answer first); the hangar spaces them out, but a busy client can still read both at once.
    // Such a late one still reached the right client; any other client seeing it would be a leak.
    const late: Record<"a" | "b" | "c", Progress[]> = { a: [], b: [], c: [] };
    const otherErrors: string[] = [];
    for (const [name, client] of [["a", a], ["b", b], ["c", c]] as const) {
      client.onerror = (error) => {
        const unknown = /unknown token: (.*)$/s.exec(error.message)?.[1];
        if (unknown === undefined) otherErrors.push(`${name}: ${error.message}`);
        else late[name].push((JSON.parse(unknown) as { params: Progress }).params);
      };
    }
    const seenByA: Progress[] = [];
    const seenByC: Progress[] = [];
    // Request ids (and so progress tokens) start at the same number in every client: a leak would match.
    const [resultA, resultC, resultB] = await Promise.all([
      callTool(a, "faulty__progress", { steps: 3, interval_ms: 30 }, { onprogress: (progress) => seenByA.push(progress) }),
      callTool(c, "faulty__progress", { steps: 4, interval_ms: 25 }, { onprogress: (progress) => seenByC.push(progress) }),
      callTool(b, "faulty__slow", { ms: 300 }),
    ]);
    expect(textOf(resultA)).toBe("done 3");
    expect(textOf(resultC)).toBe("done 4");
    expect(textOf(resultB)).toBe("slept 300");
    expect([...seenByA, ...late.a].map((progress) => [progress.progress, progress.total, progress.message])).toEqual([
      [1, 3, "step 1"],
      [2, 3, "step 2"],
      [3, 3, "step 3"],
    ]);
    expect([...seenByC, ...late.c].map((progress) => [progress.progress, progress.total])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    // Late ones are only ever the last (the order above): a client busy long enough reads them in
    // one go with the answer — two of c's did, once, while a landing's tests loaded the machine.
    // The first is sent a whole interval before the next, so it reaches its handler.
    expect(seenByA.length).toBeGreaterThanOrEqual(1);
    expect(seenByC.length).toBeGreaterThanOrEqual(1);
    expect(late.b).toEqual([]);
    expect(otherErrors).toEqual([]);
  });

  it("sends tool-list changes to every session", async () => {
    const marker = e2e.marker();
    // No predefined tools: the tools appear when the provider first starts.
    // registry_start is an admin tool, off over HTTP unless the config turns it on.
    const hangar = await e2e.startHttp({ registry: { admin_tools: true }, providers: { bare: { command: fixtureCommand("faulty-server.js", marker) } } });
    const counts = { streamable: 0, sse: 0 };
    const streamable = (await e2e.streamable(hangar.url)).client;
    const sse = (await e2e.sse(hangar.url)).client;
    streamable.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      counts.streamable += 1;
    });
    sse.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      counts.sse += 1;
    });
    // The streamable client's notifications arrive on its GET stream, opened after initialize.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await callTool(sse, "registry_start", { provider: "bare" });
    await waitFor(() => counts.streamable > 0 && counts.sse > 0, 5_000, "tools/list_changed in both sessions");
    const names = (await streamable.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("bare__echo");
  });

  it("is ready with every provider COLD, and reports each provider's state on /health and /ready", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({
      providers: {
        one: { command: fixtureCommand("faulty-server.js", marker), tools: FAULTY_TOOLS },
        two: { command: fixtureCommand("faulty-server.js", marker), tools: FAULTY_TOOLS },
      },
    });
    const ready = await rawRequest(`${hangar.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers["content-type"]).toBe("application/json");
    const readyBody = JSON.parse(ready.body) as ProbeBody;
    expect(readyBody.status).toBe("ready");
    expect(readyBody.checks).toEqual({ config: true, supervisor: true, http: true });
    expect(readyBody.providers.map((provider) => [provider.id, provider.state])).toEqual([
      ["one", "COLD"],
      ["two", "COLD"],
    ]);
    expect(findProcesses(marker)).toEqual([]);

    const client = (await e2e.streamable(hangar.url)).client;
    await callTool(client, "one__echo", { text: "wake up" });
    const health = await rawRequest(`${hangar.url}/health`);
    expect(health.status).toBe(200);
    const healthBody = JSON.parse(health.body) as ProbeBody;
    expect(healthBody.status).toBe("ok");
    expect(healthBody.providers.map((provider) => [provider.id, provider.state])).toEqual([
      ["one", "READY"],
      ["two", "COLD"],
    ]);
  });

  it("serves the metrics at /metrics, counting its open sessions", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(faultyConfig(marker));
    const sessionsGauge = async (): Promise<string | undefined> => {
      const metrics = await rawRequest(`${hangar.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers["content-type"]).toContain("text/plain");
      return /^mcp_hangar_http_sessions (\d+)$/m.exec(metrics.body)?.[1];
    };
    expect(await sessionsGauge()).toBe("0");
    const { transport } = await e2e.streamable(hangar.url);
    await e2e.sse(hangar.url);
    expect(await sessionsGauge()).toBe("2");
    await transport.terminateSession();
    await hangar.waitForStderr("was closed by the client (DELETE) (1 open)");
    expect(await sessionsGauge()).toBe("1");
  });

  it("shuts down on SIGTERM: sessions and server first, then every provider; stdin closing does not matter", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(faultyConfig(marker));
    const { client } = await e2e.streamable(hangar.url);
    const sseClient = (await e2e.sse(hangar.url)).client;
    // Its EventSource retries when the stream ends; what fails then is no business of this test.
    sseClient.onerror = () => undefined;
    expect(textOf(await callTool(client, "faulty__echo", { text: "hi" }))).toBe("hi");
    expect(findProcesses(marker)).toHaveLength(1);

    const exit = await hangar.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    await waitForNoProcesses(marker, 5_000);
    const log = hangar.stderr();
    expect(log).toContain("shutting down (SIGTERM)");
    expect(log).toMatch(/http session \w+ closed: the hangar shut down/);
    expect(log).toMatch(/sse session \w+ closed: the hangar shut down/);
    expect(log.indexOf("closed: the hangar shut down")).toBeLessThan(log.indexOf("provider faulty stopped"));
  });
});
