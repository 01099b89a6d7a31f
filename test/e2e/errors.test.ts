import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, details, directClient, eventually, fixtureCommand, invoke, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses, isRunning, waitForExit } from "../helpers/processes.js";
import { timed, untilDetails, untilReady } from "../helpers/resilience.js";

const e2e = useE2E();

/** The rejection of `promise`, which must be an McpError (a JSON-RPC error response). */
async function rpcError(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a JSON-RPC error, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

/**
 * The SDK client prefixes every JSON-RPC error message with "MCP error <code>: ". A server that
 * puts that prefix on the wire itself (by throwing the SDK's McpError) makes clients show it twice.
 */
function prefixCount(error: McpError): number {
  return (error.message.match(/MCP error -?\d+:/g) ?? []).length;
}

describe("errors", () => {
  it("answers an unknown flat tool with a JSON-RPC error naming the known tools", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "pid" }] } },
    });
    const error = await rpcError(callTool(hangar.client, "echo__nope"));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain("unknown tool 'echo__nope'");
    expect(error.message).toContain("echo__pid");
    expect(error.message).toContain("registry_invoke");
    expect(findProcesses(marker), "a refused call starts nothing").toEqual([]);
  });

  it("says how to reach a tool by flat name whose provider has not listed its tools yet, and the way it names works", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        bare: { command: fixtureCommand("echo-server.js", marker) },
        some: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "pid" }] },
      },
    });
    const bare = await rpcError(callTool(hangar.client, "bare__echo", { text: "x" }));
    expect(bare.code).toBe(-32602);
    expect(bare.message).toContain(
      `unknown tool 'bare__echo'; provider 'bare' has not listed its tools yet (it is COLD, and its config predefines no tools): ` +
        `call registry_invoke with {"provider": "bare", "tool": "echo"}, which starts it, or start it (registry_start) and call this name again; known tools now: some__pid, registry_list`,
    );
    const some = await rpcError(callTool(hangar.client, "some__echo", { text: "x" }));
    expect(some.message).toContain("provider 'some' has not listed its tools yet (it is COLD, and its config predefines 1 tool, not 'echo')");
    expect(findProcesses(marker), "a refused call starts nothing").toEqual([]);
    // Done as the error says: registry_invoke starts the provider, and its flat names work from then on.
    expect(textOf(await invoke(hangar.client, "bare", "echo", { text: "via registry_invoke" }))).toBe("via registry_invoke");
    expect(textOf(await callTool(hangar.client, "bare__echo", { text: "by flat name" }))).toBe("by flat name");
    // Once its own list is known, a name it lacks gets the plain answer.
    const listed = await rpcError(callTool(hangar.client, "bare__nope"));
    expect(listed.message).toMatch(/^MCP error -32602: unknown tool 'bare__nope'; known tools: /);
  });

  it("with expose: tools, the hint for a provider that has not listed its tools names no registry tool", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ expose: "tools", providers: { bare: { command: fixtureCommand("echo-server.js", marker) } } });
    const error = await rpcError(callTool(hangar.client, "bare__echo", { text: "x" }));
    expect(error.message).toContain("provider 'bare' has not listed its tools yet (it is COLD, and its config predefines no tools): start it (warm: true in its config starts it with the hangar) or predefine the tool under its tools:");
    expect(error.message).not.toContain("registry_");
  });

  it("answers registry_invoke of an unknown provider with a JSON-RPC error naming the known providers", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        alpha: { command: fixtureCommand("echo-server.js", marker) },
        beta: { command: fixtureCommand("echo-server.js", marker) },
      },
    });
    const error = await rpcError(invoke(hangar.client, "gamma", "echo", { text: "x" }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain("unknown provider 'gamma'");
    expect(error.message).toContain("known providers: alpha, beta");
    expect(findProcesses(marker)).toEqual([]);
  });

  // The SDK's McpError bakes "MCP error <code>: " into its message, and clients add the prefix
  // again; the hangar throws RpcError so its own errors carry the prefix once.
  it("sends its own JSON-RPC errors with a single 'MCP error <code>:' prefix", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
    const errors = [
      await rpcError(callTool(hangar.client, "echo__nope")),
      await rpcError(invoke(hangar.client, "gamma", "echo")),
      await rpcError(callTool(hangar.client, "registry_start", { provider: "gamma" })),
    ];
    expect(errors.map((error) => error.code)).toEqual([-32602, -32602, -32602]);
    for (const error of errors) expect.soft(prefixCount(error), error.message).toBe(1);
  });

  // Changed on purpose: an unknown argument was ignored (though the listed inputSchema says
  // additionalProperties: false), and a mistyped one answered -32602 with zod's text.
  it("refuses a registry tool's unknown or mistyped arguments with an isError result naming each, and does nothing", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] } } });
    const refused = async (name: string, args: Record<string, unknown>): Promise<string[]> => {
      const result = await callTool(hangar.client, name, args);
      expect(result.isError, textOf(result)).toBe(true);
      expect(result._meta?.["mcp-hangar/failure"]).toBe("rejected");
      const violations = result._meta?.["mcp-hangar/violations"] as { path: string; message: string }[];
      const lines = violations.map(({ path, message }) => `- ${path}: ${message}`);
      expect(textOf(result)).toBe(`invalid arguments for tool '${name}' — nothing was done. Fix these and call again:\n${lines.join("\n")}`);
      return lines;
    };
    expect(await refused("registry_start", { provider: "echo", provder: "echo" })).toEqual(["- /provder: is not an argument of registry_start (its arguments: provider)"]);
    expect(await refused("registry_list", { verbose: true })).toEqual(["- /verbose: is not an argument of registry_list (it takes no arguments)"]);
    expect(await refused("registry_invoke", { provider: 42, tool: "echo", timeout: 5 })).toEqual([
      "- /provider: must be a string, not the number 42",
      "- /timeout: is not an argument of registry_invoke (its arguments: provider, tool, arguments, timeout_s)",
    ]);
    expect(await refused("registry_invoke", { provider: "echo", tool: "echo", arguments: ["hello"] })).toEqual(["- /arguments: must be an object, not an array"]);
    expect(await refused("registry_warm", { providers: ["echo", 7] })).toEqual(["- /providers/1: must be a string, not the number 7"]);
    expect(await refused("registry_details", { provider: "" })).toEqual(["- /provider: must not be empty"]);
    expect(await refused("registry_history", { provider: "echo", limit: "10" })).toEqual(['- /limit: must be a number, not "10"']);
    expect(await refused("registry_stop", {})).toEqual(["- /provider: is missing (a string)"]);
    expect(findProcesses(marker), "a refused registry_start or registry_invoke starts nothing").toEqual([]);
    // The listed schema says so too; a call with exactly the listed arguments goes through.
    const listed = (await hangar.client.listTools()).tools.find((tool) => tool.name === "registry_start");
    expect(listed?.inputSchema).toMatchObject({ additionalProperties: false, required: ["provider"] });
    expect(textOf(await invoke(hangar.client, "echo", "echo", { text: "still here" }))).toBe("still here");
  });

  it("reports a provider that exits on start as an isError result with the reason and its stderr", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: { broken: { command: fixtureCommand("exit-on-start.js", marker), tools: [{ name: "anything" }] } },
    });
    for (const result of [await callTool(hangar.client, "broken__anything"), await invoke(hangar.client, "broken", "anything")]) {
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toMatch(/exited with code 1 before completing MCP initialization/);
      expect(text).toContain("exit-on-start: FATAL missing configuration FIXTURE_API_KEY");
      expect(result._meta).toEqual({ "mcp-hangar/failure": "start_failed" });
    }
    const info = await details(hangar.client, "broken");
    expect(info.state).toBe("COLD");
    expect(info.last_error?.kind).toBe("start_failed");
    expect(isRunning(hangar.pid)).toBe(true);
  });

  it("reports a command that cannot be spawned, and a provider that never initializes", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        missing: { command: [`/nonexistent/${marker}/server`] },
        // Its stderr line must be written before the timeout for the failure to carry it: a node
        // start-up alone took more than 0.5 s on a loaded CI machine, 2 s leaves room.
        hang: { command: fixtureCommand("hang-server.js", marker), startup_timeout_s: 2 },
      },
    });
    const missing = await invoke(hangar.client, "missing", "anything");
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/could not start .*ENOENT/s);
    // Its stderr tail's marker does not claim a process started, nor show a pid it never had.
    expect(textOf(missing)).toMatch(new RegExp(`--- starting "/nonexistent/${marker}/server" in .* ---`));
    expect(textOf(missing)).not.toMatch(/started|pid \?/);

    const hang = await invoke(hangar.client, "hang", "anything");
    expect(hang.isError).toBe(true);
    expect(textOf(hang)).toMatch(/within 2 ?s/);
    expect(textOf(hang)).toContain("hang-server: listening and ignoring");
    expect(hang._meta).toEqual({ "mcp-hangar/failure": "start_failed" });
  });

  it("times out a slow call: timeout_s through registry_invoke, call_timeout_s from the config", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        echo: { command: fixtureCommand("echo-server.js", marker) },
        strict: { command: fixtureCommand("echo-server.js", marker), call_timeout_s: 0.3, tools: [{ name: "slow" }] },
      },
    });
    const { client } = hangar;

    const started = performance.now();
    const viaArgument = await invoke(client, "echo", "slow", { ms: 10_000 }, 0.3);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(viaArgument.isError).toBe(true);
    expect(textOf(viaArgument)).toMatch(/timed out|did not answer "slow" within 0\.3 s/);
    expect(viaArgument._meta).toEqual({ "mcp-hangar/failure": "timeout" });

    const viaConfig = await callTool(client, "strict__slow", { ms: 10_000 });
    expect(viaConfig.isError).toBe(true);
    expect(textOf(viaConfig)).toMatch(/timed out|did not answer "slow" within 0\.3 s/);
    expect(viaConfig._meta).toEqual({ "mcp-hangar/failure": "timeout" });

    // A timeout is the call's failure, not the provider's: both keep serving.
    expect(textOf(await invoke(client, "echo", "slow", { ms: 1 }, 5))).toBe("slept 1");
    expect(textOf(await callTool(client, "strict__slow", { ms: 1 }))).toBe("slept 1");
    expect((await details(client, "strict")).state).toBe("READY");
  });

  it("reports a crash mid-call as isError, stays up, refuses calls while RECOVERING, and restarts the provider by itself", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        echo: {
          command: fixtureCommand("echo-server.js", marker),
          tools: [{ name: "pid" }, { name: "crash" }],
          // Long enough to see RECOVERING reliably, short enough for a quick test.
          restart: { initial_delay_s: 1, max_delay_s: 1 },
        },
      },
    });
    const { client } = hangar;
    const first = Number(textOf(await callTool(client, "echo__pid")));

    const crashed = await callTool(client, "echo__crash");
    expect(crashed.isError).toBe(true);
    expect(textOf(crashed)).toMatch(/exited with code 3/);
    expect(textOf(crashed)).toContain("echo-server: crashing on purpose");
    expect(crashed._meta).toEqual({ "mcp-hangar/failure": "crash" });
    expect(isRunning(hangar.pid)).toBe(true);
    expect(isRunning(first)).toBe(false);
    const afterCrash = await details(client, "echo");
    expect(afterCrash.state).toBe("RECOVERING");
    expect(afterCrash.last_error?.kind).toBe("crash");
    expect(afterCrash.restarts?.next_restart_at).toBeDefined();

    // During the backoff a call fails at once, saying when to retry.
    const during = await timed(callTool(client, "echo__pid"));
    expect(during.ms).toBeLessThan(1_000);
    expect(during.value.isError).toBe(true);
    expect(during.value._meta).toEqual({ "mcp-hangar/failure": "unavailable" });
    expect(textOf(during.value)).toMatch(/restarts in \d+s — retry after that/);
    expect(textOf(during.value)).toContain("exited with code 3");

    // The recovery saga restarts it without any call.
    const restarted = await untilReady(client, "echo", 8_000, first);
    expect(restarted.starts).toBe(2);
    expect(restarted.restarts?.count).toBe(1);
    const second = Number(textOf(await callTool(client, "echo__pid")));
    expect(second).toBe(restarted.pid);
    expect(second).not.toBe(first);
    expect(findProcesses(marker)).toEqual([second]);
  });

  it("forwards a provider's JSON-RPC error with its code, message and data, adding no prefix", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
    // What a client connected straight to the provider gets. (The fixture throws the SDK's
    // McpError, so the provider itself already sends "MCP error -32042: …" on the wire.)
    const direct = await directClient(fixtureCommand("echo-server.js", marker));
    let straight: McpError;
    try {
      straight = await rpcError(callTool(direct.client, "rpc_error"));
    } finally {
      await direct.close();
    }
    const wirePrefixes = prefixCount(straight);
    for (const call of [() => invoke(hangar.client, "echo", "rpc_error"), () => callTool(hangar.client, "echo__rpc_error")]) {
      const error = await rpcError(call());
      expect(error.code).toBe(-32042);
      expect(error.message).toContain("open the link to continue");
      // The hangar adds nothing: exactly what the direct client saw, no extra "MCP error -32042:".
      expect(prefixCount(error)).toBe(wirePrefixes);
      expect(error.message).toBe(straight.message);
      expect(error.data).toEqual({
        elicitations: [{ mode: "url", message: "Sign in", url: "https://example.com/auth", elicitationId: "e1" }],
      });
      expect(error.data).toEqual(straight.data);
    }
    // A forwarded error is the tool's answer: the provider stays up.
    expect((await details(hangar.client, "echo")).state).toBe("READY");
  });

  it("notices a provider killed from outside while idle, and restarts it by itself after the backoff", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "pid" }], restart: { initial_delay_s: 1, max_delay_s: 1 } },
      },
    });
    const { client } = hangar;
    const first = Number(textOf(await callTool(client, "echo__pid")));
    process.kill(first, "SIGKILL");
    const crashed = await untilDetails(client, "echo", (info) => info.state === "RECOVERING", 5_000, "the hangar to notice the crash");
    expect(crashed.last_error?.kind).toBe("crash");
    expect(crashed.last_error?.message).toContain("SIGKILL");
    const restarted = await untilReady(client, "echo", 8_000, first);
    expect(restarted.restarts?.count).toBe(1);
    const second = Number(textOf(await callTool(client, "echo__pid")));
    expect(second).toBe(restarted.pid);
    expect(findProcesses(marker)).toEqual([second]);
  });

  it("reports a provider that closes stdout mid-call but keeps running, ends its process, and restarts it", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        echo: { command: fixtureCommand("echo-server.js", marker), shutdown_grace_s: 1, restart: { initial_delay_s: 0.2, max_delay_s: 0.2 } },
      },
    });
    const { client } = hangar;
    const pid = Number(textOf(await invoke(client, "echo", "pid")));
    const broken = await invoke(client, "echo", "close_stdout");
    expect(broken.isError).toBe(true);
    expect(textOf(broken)).toMatch(/closed its (stdout|pipes) while its process kept running/);
    expect(broken._meta).toEqual({ "mcp-hangar/failure": "transport" });
    // The process itself was fine, but the hangar cannot talk to it any more: it must end it.
    await waitForExit(pid, 5_000);
    // A transport break is treated like a crash: RECOVERING, then restarted by the saga.
    const restarted = await untilReady(client, "echo", 8_000, pid);
    expect(restarted.restarts?.count).toBe(1);
    expect(findProcesses(marker)).toEqual([restarted.pid]);
    expect(textOf(await invoke(client, "echo", "echo", { text: "again" }))).toBe("again");
  });

  it("cancels a call the client abandons, and keeps counting in-flight calls right", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker), idle_ttl_s: 1 } } });
    const { client } = hangar;
    const pid = Number(textOf(await invoke(client, "echo", "pid")));
    const controller = new AbortController();
    const abandoned = callTool(client, "registry_invoke", { provider: "echo", tool: "slow", arguments: { ms: 30_000 } }, { signal: controller.signal });
    await eventually(async () => (await details(client, "echo")).in_flight === 1, 5_000, "the slow call to be in flight");
    controller.abort("changed my mind");
    await expect(abandoned).rejects.toThrow();
    // The provider is released: nothing in flight, so the idle stop comes on time.
    const settled = await eventually(
      async () => {
        const info = await details(client, "echo");
        return info.in_flight === 0 ? info : undefined;
      },
      5_000,
      "the cancelled call to leave the in-flight count",
    );
    expect(settled.calls).toBe(2);
    expect(settled.state).toBe("READY");
    await waitForExit(pid, 5_000);
  });
});

