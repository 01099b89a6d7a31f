import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LoggingMessageNotificationSchema, type LoggingMessageNotification, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, directClient, everythingCommand, fixtureCommand, jsonOf, textOf } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

/** A read result with clock times (`9:10:12 PM`) blanked, for comparing two reads made a moment apart. */
function withoutClock(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result).replace(/\d{1,2}:\d{2}:\d{2}( [AP]M)?/g, "<time>")) as unknown;
}

const e2e = useHttpE2E();

async function states(client: Client): Promise<Record<string, string>> {
  const listed = jsonOf(await callTool(client, "registry_list")).providers as { id: string; state: string }[];
  return Object.fromEntries(listed.map((provider) => [provider.id, provider.state]));
}

describe("resources, prompts and completions through the hangar", () => {
  it("lists, reads and fetches those of server-everything and the fixture, starting them lazily", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        everything: { command: everythingCommand(marker), description: "The reference server" },
        fixture: { command: fixtureCommand("conformance-server.js", marker), description: "The conformance fixture" },
      },
    });
    const { client } = hangar;
    // Nothing runs yet; the instructions name each provider by its config description.
    expect(await states(client)).toEqual({ everything: "COLD", fixture: "COLD" });
    expect(client.getInstructions()).toMatch(/## everything\nThe reference server[\s\S]*## fixture\nThe conformance fixture/);

    const resources = (await client.listResources()).resources;
    expect(await states(client)).toEqual({ everything: "READY", fixture: "READY" });
    const uris = resources.map((resource) => resource.uri);
    expect(uris).toContain("test://static-text");
    expect(uris).toContain("demo://resource/static/document/architecture.md");
    expect(resources.find((resource) => resource.uri === "test://static-text")?._meta?.["mcp-hangar/provider"]).toBe("fixture");

    const templates = (await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate);
    expect(templates).toEqual(expect.arrayContaining(["test://template/{id}/data", "demo://resource/dynamic/text/{resourceId}"]));

    // Reads go to the provider that listed the URI, or whose template matches it, untouched.
    const direct = await directClient(everythingCommand(marker));
    try {
      for (const uri of ["demo://resource/static/document/architecture.md", "demo://resource/dynamic/text/2"]) {
        // A dynamic resource says when it was made (to the second): the two reads may straddle a second.
        expect(withoutClock(await client.readResource({ uri })), uri).toEqual(withoutClock(await direct.client.readResource({ uri })));
      }
      const prompt = { name: "args-prompt", arguments: { city: "Lisbon" } };
      expect(await client.getPrompt({ ...prompt, name: "everything__args-prompt" })).toEqual(await direct.client.getPrompt(prompt));
    } finally {
      await direct.close();
    }
    const text = await client.readResource({ uri: "test://static-text" });
    expect(text.contents).toEqual([{ uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." }]);
    const templated = await client.readResource({ uri: "test://template/42/data" });
    const first = templated.contents[0];
    expect(JSON.parse(first !== undefined && "text" in first ? first.text : "")).toMatchObject({ id: "42", templateTest: true });
    await expect(client.readResource({ uri: "nowhere://x" })).rejects.toThrow(/unknown resource 'nowhere:\/\/x'/);

    // Prompts under <provider>__<prompt>, fetched from their provider with its own name.
    const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(prompts).toEqual(expect.arrayContaining(["everything__simple-prompt", "everything__args-prompt", "fixture__test_simple_prompt"]));
    const withArgs = await client.getPrompt({ name: "fixture__test_prompt_with_arguments", arguments: { arg1: "x", arg2: "y" } });
    expect(withArgs.messages[0]?.content).toEqual({ type: "text", text: "Prompt with arguments: arg1='x', arg2='y'" });
    await expect(client.getPrompt({ name: "fixture__nope" })).rejects.toThrow(/unknown prompt/);

    // Completions: by prompt (renamed back for the provider) and by resource template.
    const completed = await client.complete({
      ref: { type: "ref/prompt", name: "everything__completable-prompt" },
      argument: { name: "department", value: "E" },
    });
    expect(completed.completion.values).toContain("Engineering");
    const byTemplate = await client.complete({ ref: { type: "ref/resource", uri: "test://template/{id}/data" }, argument: { name: "id", value: "al" } });
    expect(byTemplate.completion.values).toEqual(["alpha"]);
  });

  it("starts only what a read needs when the hangar has never listed", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { fixture: { command: fixtureCommand("conformance-server.js", marker) } } });
    expect(await states(hangar.client)).toEqual({ fixture: "COLD" });
    const read = await hangar.client.readResource({ uri: "test://static-binary" });
    expect(read.contents[0]).toMatchObject({ uri: "test://static-binary", mimeType: "image/png" });
    expect(await states(hangar.client)).toEqual({ fixture: "READY" });
  });

  it("forwards resource subscriptions and sends updates only to the subscribed client", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({ providers: { everything: { command: everythingCommand(marker) } } });
    const subscriber = (await e2e.streamable(hangar.url, { name: "subscriber" })).client;
    const bystander = (await e2e.streamable(hangar.url, { name: "bystander" })).client;
    const updates: Record<"subscriber" | "bystander", string[]> = { subscriber: [], bystander: [] };
    for (const [name, client] of [["subscriber", subscriber], ["bystander", bystander]] as const) {
      client.fallbackNotificationHandler = async (notification) => {
        if (notification.method === "notifications/resources/updated") updates[name].push(String(notification.params?.uri));
        return Promise.resolve();
      };
    }
    const uri = "demo://resource/dynamic/text/1";
    await subscriber.subscribeResource({ uri });
    // server-everything sends updates for subscribed URIs once its updates are switched on.
    await callTool(subscriber, "registry_invoke", { provider: "everything", tool: "toggle-subscriber-updates", arguments: {} });
    await waitFor(() => updates.subscriber.length > 0, 15_000, "a resource update at the subscriber");
    expect(updates.subscriber[0]).toBe(uri);
    expect(updates.bystander).toEqual([]);
    await subscriber.unsubscribeResource({ uri });
  }, 30_000);
});

describe("progress and logging through the hangar", () => {
  it("server-everything's long-running operation reports progress to its caller, not to a second client calling at the same time", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({ providers: { everything: { command: everythingCommand(marker) } } });
    const caller = (await e2e.streamable(hangar.url, { name: "caller" })).client;
    const other = (await e2e.streamable(hangar.url, { name: "other" })).client;
    const strays: string[] = [];
    other.onerror = (error) => strays.push(error.message);
    other.fallbackNotificationHandler = async (notification) => {
      if (notification.method === "notifications/progress") strays.push(JSON.stringify(notification));
      return Promise.resolve();
    };
    const late: string[] = [];
    caller.onerror = (error) => late.push(error.message);
    const seen: Progress[] = [];
    const args = { provider: "everything", tool: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } };
    const [result] = await Promise.all([
      callTool(caller, "registry_invoke", args, { onprogress: (progress) => seen.push(progress) }),
      callTool(other, "registry_invoke", args),
    ]);
    expect(result.isError).not.toBe(true);
    // Every step reached the caller in order (at most the last one read together with the answer).
    expect(seen.length + late.filter((message) => message.includes("unknown token")).length).toBe(4);
    expect(seen.map((progress) => progress.progress)).toEqual([1, 2, 3, 4].slice(0, seen.length));
    expect(strays).toEqual([]);
  });

  it("forwards logging/setLevel and tags providers' log messages with the provider id", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({
      providers: { fx: { command: fixtureCommand("conformance-server.js", marker), passthrough_names: true } },
    });
    const client = (await e2e.streamable(hangar.url)).client;
    const messages: LoggingMessageNotification["params"][] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      messages.push(notification.params);
    });
    await callTool(client, "registry_invoke", { provider: "fx", tool: "test_simple_text" });
    await client.setLoggingLevel("debug");
    await waitFor(() => messages.some((message) => message.data === "log level set to debug"), 5_000, "the provider's log message");
    expect(messages.find((message) => message.data === "log level set to debug")).toMatchObject({ level: "info", logger: "fx/fixture" });
    // A call's own log messages reach the caller, tagged too.
    expect(textOf(await callTool(client, "test_tool_with_logging"))).toBe("Tool with logging executed successfully");
    await waitFor(() => messages.filter((message) => message.logger === "fx").length === 3, 5_000, "the call's three log messages");
  });
});
