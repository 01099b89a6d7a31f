import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ErrorCode, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { callTool, fixtureCommand, textOf } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";
import { refusal } from "../helpers/rpc-refusal.js";
import { waitFor } from "../helpers/wait.js";
import { useInProcessHangars } from "./in-process-hangar.js";

/**
 * Every request a client addresses to a provider meets the same admission as a tool call:
 * resources/read, prompts/get and completion/complete spend the provider's and the principal's
 * rate-limit buckets, a principal's deny_providers keeps it away from a provider's resources and
 * prompts, and a call routed through a group spends its member's bucket. Real fixture providers
 * over stdio pipes; the buckets run on a fake clock.
 */
const startHangar = useInProcessHangars();

const STATIC_TEXT = "test://static-text";

function marker(): string {
  return `admission-${randomUUID()}`;
}

function readStatic(client: Client): Promise<unknown> {
  return client.readResource({ uri: STATIC_TEXT });
}

function getSimplePrompt(client: Client): Promise<unknown> {
  return client.getPrompt({ name: "fixture__test_simple_prompt" });
}

describe("rate limits on resources, prompts and completions (fake clock)", () => {
  it("refuses resources/read and prompts/get with -32029 and when to retry once the provider's bucket is empty, and refills", async () => {
    const tag = marker();
    let now = 2_000_000;
    const hangar = await startHangar(
      { providers: { fixture: { command: fixtureCommand("conformance-server.js", tag), rate_limit: { rps: 1, burst: 2 } } } },
      { clock: () => now },
    );
    const client = await hangar.connect();
    // A resources/list is the hangar's own aggregation (not admitted): the bucket stays full.
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain(STATIC_TEXT);
    await readStatic(client);
    await getSimplePrompt(client);
    for (const request of [readStatic, getSimplePrompt]) {
      const limited = await refusal(request(client));
      expect(limited.code).toBe(RATE_LIMITED_CODE);
      expect(limited.message).toContain("rate limit exceeded for provider 'fixture' (rate_limit): 1 calls/s, burst 2; retry after 1 s");
      expect(limited.data).toEqual({ limit: "provider", retry_after_ms: 1_000, retry_after_s: 1 });
    }
    // The same bucket as the provider's tool calls.
    expect((await refusal(callTool(client, "fixture__test_simple_text"))).code).toBe(RATE_LIMITED_CODE);
    const completion = client.complete({ ref: { type: "ref/prompt", name: "fixture__test_prompt_with_arguments" }, argument: { name: "arg1", value: "x" } });
    expect((await refusal(completion)).code).toBe(RATE_LIMITED_CODE);

    now += 1_000;
    expect(await readStatic(client)).toMatchObject({ contents: [{ uri: STATIC_TEXT, text: "This is the content of the static text resource." }] });
    const refused = hangar.events.flatMap((event) => (event.type === "ToolInvocationFailed" && event.refusal !== undefined ? [`${event.tool}:${event.refusal}`] : []));
    expect(refused).toEqual([
      `${STATIC_TEXT}:rate_limited_provider`,
      "test_simple_prompt:rate_limited_provider",
      "test_simple_text:rate_limited_provider",
      "test_prompt_with_arguments:rate_limited_provider",
    ]);
  });

  it("counts a principal's resource reads and prompt fetches against its own bucket (http.auth.rate_limit)", async () => {
    const tag = marker();
    let now = 3_000_000;
    const hangar = await startHangar(
      { http: { auth: { rate_limit: { rps: 1, burst: 2 } } }, providers: { fixture: { command: fixtureCommand("conformance-server.js", tag) } } },
      { clock: () => now, frontEnd: "http" },
    );
    const alice = await hangar.connect({ principal: "alice", roles: [] });
    const bob = await hangar.connect({ principal: "bob", roles: [] });
    await readStatic(alice);
    await getSimplePrompt(alice);
    const limited = await refusal(readStatic(alice));
    expect(limited.code).toBe(RATE_LIMITED_CODE);
    expect(limited.data).toMatchObject({ limit: "principal", retry_after_ms: 1_000 });
    await readStatic(bob);
    now += 1_000;
    await getSimplePrompt(alice);
  });
});

describe("a principal's providers (allow_providers / deny_providers)", () => {
  it("keeps a denied provider cold and unknown to the principal — lists never ask it, names and URIs it serves are unknown — while others reach it", async () => {
    const fixtureTag = marker();
    const echoTag = marker();
    const hangar = await startHangar(
      {
        http: { auth: { principals: { guest: { deny_providers: ["fixture"] }, ci: { allow_providers: ["echo"] } } } },
        providers: {
          fixture: { command: fixtureCommand("conformance-server.js", fixtureTag) },
          echo: { command: fixtureCommand("echo-server.js", echoTag), tools: [{ name: "echo" }] },
        },
      },
      { frontEnd: "http" },
    );
    const guest = await hangar.connect({ principal: "guest", roles: [] });
    const ci = await hangar.connect({ principal: "ci", roles: [] });
    const alice = await hangar.connect({ principal: "alice", roles: [] });

    const expectDeniedEverywhere = async (toolRefusal: string): Promise<void> => {
      for (const [name, client] of [["guest", guest], ["ci", ci]] as const) {
        expect((await client.listResources()).resources, name).toEqual([]);
        expect((await client.listResourceTemplates()).resourceTemplates, name).toEqual([]);
        expect((await client.listPrompts()).prompts, name).toEqual([]);
        // A name or URI only a denied provider serves is unknown — the answer does not name the provider.
        const read = await refusal(readStatic(client));
        expect(read.code, name).toBe(ErrorCode.InvalidParams);
        expect(read.message, name).toContain(`unknown resource '${STATIC_TEXT}'`);
        const prompt = await refusal(getSimplePrompt(client));
        expect(prompt.code, name).toBe(ErrorCode.InvalidParams);
        expect(prompt.message, name).toContain("unknown prompt 'fixture__test_simple_prompt'");
        const completion = client.complete({ ref: { type: "ref/prompt", name: "fixture__test_prompt_with_arguments" }, argument: { name: "arg1", value: "x" } });
        expect((await refusal(completion)).message, name).toContain("unknown prompt");
        expect((await refusal(client.subscribeResource({ uri: STATIC_TEXT }))).message, name).toContain("unknown resource");
        await client.setLoggingLevel("debug");
        for (const message of [read.message, prompt.message]) expect(message, name).not.toContain("'fixture'");
        const tools = (await client.listTools()).tools.map((tool) => tool.name);
        expect(tools, name).toContain("echo__echo");
        expect(tools.filter((tool) => tool.startsWith("fixture__")), name).toEqual([]);
        const quick = await refusal(callTool(client, "fixture__test_simple_text"));
        expect(quick.message, name).toContain(toolRefusal);
        // With a progress token the call takes the handler's path: the same answer, and (below) the same one record.
        const withProgress = await refusal(callTool(client, "fixture__test_simple_text", {}, { onprogress: () => undefined }));
        expect({ code: withProgress.code, message: withProgress.message, data: withProgress.data }, name).toEqual({ code: quick.code, message: quick.message, data: quick.data });
      }
    };

    // A call to a denied provider's tool is a call to an unknown tool, before and after it started.
    await expectDeniedEverywhere("unknown tool 'fixture__test_simple_text'");
    // Nothing the denied principals asked started the provider.
    expect(findProcesses(fixtureTag)).toEqual([]);
    expect(hangar.runtime.view("fixture")?.state).toBe("COLD");
    expect(hangar.events.filter((event) => event.type === "ProviderStateChanged" && event.providerId === "fixture")).toEqual([]);
    expect(textOf(await callTool(ci, "echo__echo", { text: "hi" }))).toBe("hi");

    // A principal without lists reaches everything (and starts the provider)…
    expect(await readStatic(alice)).toMatchObject({ contents: [{ uri: STATIC_TEXT }] });
    expect((await alice.listPrompts()).prompts.map((prompt) => prompt.name)).toContain("fixture__test_simple_prompt");
    expect(findProcesses(fixtureTag)).toHaveLength(1);
    // …and what the shared catalogues now know stays unknown to the denied ones.
    await expectDeniedEverywhere("unknown tool 'fixture__test_simple_text'");
    const invoked = await refusal(callTool(guest, "registry_invoke", { provider: "fixture", tool: "test_simple_text" }));
    expect(invoked.message).toContain("unknown provider 'fixture'");
    // Each attempt on a known provider is still recorded as a refusal (audit, logs, metrics),
    // though the caller was told the name is unknown.
    const hidden = hangar.events.flatMap((event) =>
      event.type === "ToolInvocationFailed" && event.refusal === "not_allowed" ? [`${event.principal ?? ""}:${event.providerId}:${event.tool}`] : [],
    );
    // Once per call, with a progress token or without.
    const flat = (principal: string): string => `${principal}:fixture:fixture__test_simple_text`;
    expect(hidden).toEqual([flat("guest"), flat("guest"), flat("ci"), flat("ci"), flat("guest")]);

    // A session that set a log level hears only the providers its principal reaches.
    const logged = { guest: [] as unknown[], alice: [] as unknown[] };
    guest.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.guest.push(notification.params.data));
    alice.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.alice.push(notification.params.data));
    await guest.setLoggingLevel("debug");
    await alice.setLoggingLevel("debug");
    await waitFor(() => logged.alice.includes("log level set to debug"), 5_000, "the provider's log message to reach alice");
    expect(logged.guest).toEqual([]);
  });
});

describe("a provider's prompt and resource filters", () => {
  it("hides and refuses prompts matching deny_prompts and resources matching deny_resources", async () => {
    const tag = marker();
    const hangar = await startHangar({
      providers: {
        fixture: { command: fixtureCommand("conformance-server.js", tag), deny_prompts: ["*_with_*"], deny_resources: ["test://static-*"] },
      },
    });
    const client = await hangar.connect();
    const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(prompts).toContain("fixture__test_simple_prompt");
    expect(prompts.filter((name) => name.includes("_with_"))).toEqual([]);
    const uris = (await client.listResources()).resources.map((resource) => resource.uri);
    expect(uris).toContain("test://watched-resource");
    expect(uris.filter((uri) => uri.startsWith("test://static-"))).toEqual([]);

    const prompt = await refusal(client.getPrompt({ name: "fixture__test_prompt_with_arguments", arguments: { arg1: "a", arg2: "b" } }));
    expect(prompt.message).toContain("prompt 'test_prompt_with_arguments' of provider 'fixture' is not available: it matches deny_prompts");
    expect((await refusal(readStatic(client))).message).toContain(`resource '${STATIC_TEXT}' of provider 'fixture' is not available: it matches deny_resources`);
    expect((await refusal(client.subscribeResource({ uri: STATIC_TEXT }))).message).toContain("deny_resources");
    expect(await client.readResource({ uri: "test://watched-resource" })).toMatchObject({ contents: [{ text: "Watched resource content" }] });
    expect(findProcesses(tag)).toHaveLength(1);
  });
});

describe("a call through a group spends its member's buckets (fake clock)", () => {
  it("counts a group call against the member's rate_limit, so the member's limit holds whichever way it is reached", async () => {
    const tag = marker();
    let now = 4_000_000;
    const hangar = await startHangar(
      {
        providers: {
          echo: { command: fixtureCommand("echo-server.js", tag), tools: [{ name: "echo" }], rate_limit: { rps: 1, burst: 2 } },
          pool: { mode: "group", members: ["echo"] },
        },
      },
      { clock: () => now },
    );
    const client = await hangar.connect();
    expect(textOf(await callTool(client, "pool__echo", { text: "one" }))).toBe("one");
    expect(textOf(await callTool(client, "echo__echo", { text: "two" }))).toBe("two");
    // The group call took the member's token: the direct call now finds the bucket empty…
    const direct = await refusal(callTool(client, "echo__echo", { text: "three" }));
    expect(direct.code).toBe(RATE_LIMITED_CODE);
    expect(direct.message).toContain("provider 'echo' (rate_limit)");
    // …and so does a call through the group: its only member is out, so the group is.
    const grouped = await refusal(callTool(client, "pool__echo", { text: "four" }));
    expect(grouped.code).toBe(RATE_LIMITED_CODE);
    expect(grouped.message).toContain(
      "every member of group 'pool' is over its rate limit (rate limit exceeded for provider 'echo' (rate_limit): 1 calls/s, burst 2; retry after 1 s); retry after 1 s",
    );
    expect(grouped.data).toEqual({
      limit: "group_members",
      retry_after_ms: 1_000,
      retry_after_s: 1,
      members: { echo: { limit: "provider", retry_after_ms: 1_000, retry_after_s: 1 } },
    });
    now += 1_000;
    expect(textOf(await callTool(client, "pool__echo", { text: "five" }))).toBe("five");
    const refused = hangar.events.flatMap((event) => (event.type === "ToolInvocationFailed" && event.refusal !== undefined ? [`${event.providerId}:${event.refusal}`] : []));
    expect(refused).toEqual(["echo:rate_limited_provider", "pool:rate_limited_provider"]);
  });
});
