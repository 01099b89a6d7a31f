import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, ListToolsResult, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { discoverySources } from "../../src/actors/discovery-sources.js";
import { healthProbe } from "../../src/actors/health-probe.js";
import { pendingTerminations } from "../../src/actors/process-registry.js";
import { createProviderConnection } from "../../src/actors/provider-connection.js";
import { parseConfig } from "../../src/config/load.js";
import type { HangarConfig } from "../../src/config/types.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { ANONYMOUS, type Caller, type FrontEnd } from "../../src/security/admin-gate.js";
import { SecurityControls } from "../../src/security/security-controls.js";
import { ClientHub } from "../../src/transports/client-hub.js";
import { createHangarServer } from "../../src/transports/mcp-server.js";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";
import { buildToolList } from "../../src/transports/tool-lists.js";
import { fixtureCommand } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The tools/list answers are cached per catalogue version and caller view (tool-lists.ts). Here
 * the real hangar runs in this process — config loader, actor system, real provider processes,
 * real discovery — behind the stdio front end's own transport on in-memory streams, so each
 * answer is read as the bytes a client would get. After every kind of change the cached answer
 * must be what a list built afresh at that moment is.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await pendingTerminations();
});

const tag = (): string => `tool-lists-${randomUUID()}`;
const echo = (marker: string, extra: object = {}): object => ({ command: fixtureCommand("echo-server.js", marker), ...extra });
const predefined = (...names: string[]): { name: string }[] => names.map((name) => ({ name }));

interface Harness {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  security: SecurityControls;
  config: HangarConfig;
  /** A session of the front end (one MCP server on the stdio transport), as `caller`. */
  session: (caller?: Caller) => Promise<Session>;
  reload: (config: object) => Promise<void>;
}

interface Session {
  caller: Caller;
  /** tools/list: the line written, the result it carries, and the result object the server handed the transport. */
  list: () => Promise<{ line: string; id: number; result: ListToolsResult; sent: unknown }>;
  /** How many notifications/tools/list_changed this session was sent. */
  listChanged: () => number;
}

function startHangar(raw: object, frontEnd: FrontEnd = "stdio"): Harness {
  const dir = mkdtempSync(join(tmpdir(), "hangar-tool-lists-"));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, "hangar.yaml");
  const config = parseConfig(JSON.stringify(raw), path, process.env);
  const bridge = new ClientHub();
  const runtime = new HangarRuntime(config, { connection: createProviderConnection({ bridge }), bridge, healthProbe, sources: discoverySources }).start();
  cleanups.push(() => runtime.shutdown());
  const catalogue = new ToolCatalogue(runtime);
  cleanups.push(() => {
    catalogue.close();
  });
  // One set of controls for every session of the front end, as the HTTP front end has.
  const security = new SecurityControls(config, { frontEnd, specOf: (id) => runtime.spec(id), membersOf: (id) => runtime.groupMemberIds(id), events: runtime.events });
  const session = async (caller: Caller = ANONYMOUS): Promise<Session> => {
    const server = createHangarServer(runtime, catalogue, config.expose, security, caller);
    const stdin = new PassThrough();
    const lines: string[] = [];
    let partial = "";
    const stdout = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        partial += chunk.toString();
        const parts = partial.split("\n");
        partial = parts.pop() ?? "";
        lines.push(...parts);
        callback();
      },
    });
    const sent: JSONRPCMessage[] = [];
    await server.connect(new AsCaller(new StdioServerLineTransport(stdin, stdout), caller, sent));
    cleanups.push(() => server.close());
    let nextId = 1;
    const request = async (method: string, params?: object): Promise<{ line: string; id: number }> => {
      const id = nextId++;
      stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) })}\n`);
      const line = await waitFor(() => lines.find((text) => (JSON.parse(text) as { id?: unknown }).id === id), 5_000, `the answer to ${method} ${id}`);
      return { line, id };
    };
    await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "tool-lists", version: "1" } });
    stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    return {
      caller,
      list: async () => {
        const { line, id } = await request("tools/list");
        const answer = sent.find((message) => "id" in message && message.id === id && "result" in message) as { result: unknown };
        return { line, id, result: (JSON.parse(line) as { result: ListToolsResult }).result, sent: answer.result };
      },
      listChanged: () => lines.filter((text) => text.includes('"method":"notifications/tools/list_changed"')).length,
    };
  };
  const reload = async (next: object): Promise<void> => {
    await runtime.reload(parseConfig(JSON.stringify(next), path, process.env));
  };
  return { runtime, catalogue, security, config, session, reload };
}

/** A transport in front of another that attaches `caller` to each message, as the HTTP front end does, and keeps what the server sends. */
class AsCaller implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

  constructor(
    private readonly inner: Transport,
    private readonly caller: Caller,
    private readonly sent: JSONRPCMessage[],
  ) {}

  start(): Promise<void> {
    const authInfo = this.caller.principal === undefined ? undefined : { token: "", clientId: this.caller.principal, scopes: [...this.caller.roles] };
    this.inner.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      this.onmessage?.(message, authInfo === undefined ? extra : { ...extra, authInfo });
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    return this.inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
    return this.inner.send(message);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The session's answer is, byte for byte, what the list built now from the same catalogue
 * serializes to (what the hangar answered before lists were cached), and it names the same tools
 * as a list built from a catalogue made afresh from the runtime (whose order may differ: an entry
 * added later is listed last). Returns the listed names.
 */
async function expectFresh(hangar: Harness, session: Session): Promise<string[]> {
  const { line, id, result } = await session.list();
  const built = buildToolList(hangar.catalogue, hangar.security, hangar.config.expose, session.caller);
  expect(line).toBe(JSON.stringify({ result: built, jsonrpc: "2.0", id }));
  const fresh = new ToolCatalogue(hangar.runtime);
  try {
    const rebuilt = buildToolList(fresh, hangar.security, hangar.config.expose, session.caller);
    const byName = (tools: ListToolsResult["tools"]) => [...tools].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(result.tools)).toEqual(byName(JSON.parse(JSON.stringify(rebuilt.tools)) as ListToolsResult["tools"]));
  } finally {
    fresh.close();
  }
  return result.tools.map((tool) => tool.name);
}

/** Waits for the session's next notifications/tools/list_changed after `seen` of them. */
async function nextListChanged(session: Session, seen: number, what: string): Promise<number> {
  return waitFor(() => session.listChanged() > seen && session.listChanged(), 10_000, `tools/list_changed (${what})`);
}

const providerTools = (names: string[], provider: string): string[] => names.filter((name) => name.startsWith(`${provider}__`)).sort();

describe("tools/list answers, cached per catalogue version", () => {
  it("answers an unchanged catalogue with the same answer, not a new one, and its bytes are what the list serializes to", async () => {
    const hangar = startHangar({ providers: { a: echo(tag(), { tools: predefined("echo", "pid") }) } });
    const session = await hangar.session();
    const first = await session.list();
    const second = await session.list();
    expect(second.sent).toBe(first.sent);
    expect(second.result).toEqual(first.result);
    expect(providerTools(await expectFresh(hangar, session), "a")).toEqual(["a__echo", "a__pid"]);
    // A second session of the front end shares it.
    const other = await hangar.session();
    expect((await other.list()).sent).toBe(first.sent);
  });

  it("follows a provider that starts and learns its tools, and one whose own tools change (tools/list_changed still sent)", async () => {
    const hangar = startHangar({
      providers: {
        bare: echo(tag()),
        grows: echo(tag(), { tools: predefined("echo"), env: { FIXTURE_TOOLS_GROW: "1" } }),
      },
    });
    const session = await hangar.session();
    expect(providerTools(await expectFresh(hangar, session), "bare")).toEqual([]);

    // Started by a call: its live tools are learned.
    let seen = session.listChanged();
    await hangar.runtime.invoke("bare", "echo", { text: "start" });
    seen = await nextListChanged(session, seen, "bare learned its tools");
    expect(providerTools(await expectFresh(hangar, session), "bare")).toContain("bare__pid");

    // Started, then it registers a tool of its own and says so.
    await hangar.runtime.invoke("grows", "echo", { text: "start" });
    await waitFor(() => hangar.catalogue.resolve("grows__pid") !== undefined, 10_000, "grows's live tools");
    expect(await expectFresh(hangar, session)).not.toContain("grows__late");
    await hangar.runtime.invoke("grows", "grow", {});
    await waitFor(() => hangar.catalogue.resolve("grows__late") !== undefined, 10_000, "grows's late tool");
    await nextListChanged(session, seen, "grows's own change");
    expect(await expectFresh(hangar, session)).toContain("grows__late");
  });

  it("follows a hot reload: providers added, removed, their tools and passthrough_names changed, group members changed", async () => {
    const marker = tag();
    const base = {
      a: echo(marker, { tools: predefined("echo", "pid") }),
      b: echo(marker, { tools: predefined("echo", "add") }),
      pool: { mode: "group", members: ["a"] },
    };
    const hangar = startHangar({ providers: base });
    const session = await hangar.session();
    expect(providerTools(await expectFresh(hangar, session), "pool")).toEqual(["pool__echo", "pool__pid"]);

    let seen = session.listChanged();
    await hangar.reload({ providers: { ...base, c: echo(marker, { tools: predefined("pid") }) } });
    seen = await nextListChanged(session, seen, "c added");
    expect(providerTools(await expectFresh(hangar, session), "c")).toEqual(["c__pid"]);

    await hangar.reload({ providers: { ...base, b: echo(marker, { tools: predefined("echo", "add", "env") }), c: echo(marker, { tools: predefined("pid") }) } });
    seen = await nextListChanged(session, seen, "b's tools changed");
    expect(providerTools(await expectFresh(hangar, session), "b")).toEqual(["b__add", "b__echo", "b__env"]);

    await hangar.reload({ providers: { ...base, pool: { mode: "group", members: ["a", "b"] } } });
    seen = await nextListChanged(session, seen, "c removed, b joined the pool");
    const names = await expectFresh(hangar, session);
    expect(providerTools(names, "c")).toEqual([]);
    expect(providerTools(names, "pool")).toEqual(["pool__add", "pool__echo", "pool__pid"]);

    // Same tools, other names: the listed names change although the tools did not.
    await hangar.reload({ providers: { ...base, a: echo(marker, { tools: predefined("echo", "pid"), passthrough_names: true }) } });
    await nextListChanged(session, seen, "a's passthrough_names");
    const passthrough = await expectFresh(hangar, session);
    expect(passthrough).toContain("pid");
    expect(providerTools(passthrough, "a")).toEqual([]);
  });

  it("follows discovery: a provider file added and removed", async () => {
    const folder = join(mkdtempSync(join(tmpdir(), "hangar-tool-lists-d-")), "providers.d");
    mkdirSync(folder);
    cleanups.push(() => {
      rmSync(folder, { recursive: true, force: true });
    });
    const marker = tag();
    const hangar = startHangar({
      providers: { fixed: echo(marker, { tools: predefined("pid") }) },
      discovery: { sources: [{ type: "filesystem", name: "local", path: folder }] },
    });
    const session = await hangar.session();
    expect(providerTools(await expectFresh(hangar, session), "found")).toEqual([]);

    let seen = session.listChanged();
    const file = join(folder, "team.yaml");
    writeFileSync(file, JSON.stringify({ providers: { found: echo(marker, { tools: predefined("echo", "pid") }) } }));
    seen = await nextListChanged(session, seen, "found discovered");
    expect(providerTools(await expectFresh(hangar, session), "found")).toEqual(["found__echo", "found__pid"]);

    unlinkSync(file);
    await nextListChanged(session, seen, "found removed");
    expect(providerTools(await expectFresh(hangar, session), "found")).toEqual([]);
  });

  it("keeps each principal's view apart: provider lists, allow_tools and the admin role", async () => {
    const marker = tag();
    const hangar = startHangar(
      {
        http: {
          auth: {
            principals: {
              guest: { deny_providers: ["secret"] },
              ci: { allow_providers: ["open"], allow_tools: ["open__*", "registry_list"] },
            },
          },
        },
        providers: { open: echo(marker, { tools: predefined("echo") }), secret: echo(marker, { tools: predefined("pid") }) },
      },
      "http",
    );
    const callers: Caller[] = [
      { principal: "guest", roles: [] },
      { principal: "ci", roles: [] },
      { principal: "alice", roles: [] },
      { principal: "alice", roles: ["admin"] },
      ANONYMOUS,
    ];
    const sessions = await Promise.all(callers.map((caller) => hangar.session(caller)));
    // Twice round, so the second round is answered from the cache each view filled in the first.
    const views: string[][] = [];
    for (const round of [0, 1]) {
      for (const [index, session] of sessions.entries()) {
        const names = await expectFresh(hangar, session);
        if (round === 0) views.push(names);
        else expect(names).toEqual(views[index]);
      }
    }
    const [guest, ci, alice, aliceAdmin, anonymous] = views as [string[], string[], string[], string[], string[]];
    expect(guest).toContain("open__echo");
    expect(guest).not.toContain("secret__pid");
    expect(ci).toEqual(["registry_list", "open__echo"]);
    expect(alice).toContain("secret__pid");
    expect(alice).not.toContain("registry_start");
    expect(aliceAdmin).toContain("registry_start");
    expect(anonymous).toContain("secret__pid");
  });
});
