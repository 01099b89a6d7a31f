import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, describe, expect, it } from "vitest";
import { answeringClient, connectHttp } from "../helpers/answering-client.js";
import { callTool, everythingCommand, fixtureCommand, textOf } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";

const e2e = useHttpE2E();
const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close().catch(() => undefined)));
});

async function http(url: string, name: string, features?: Parameters<typeof answeringClient>[1]): ReturnType<typeof connectHttp> {
  const connected = await connectHttp(url, name, features);
  opened.push(connected.client);
  return connected;
}

describe("a provider's requests to the client (sampling, elicitation, roots)", () => {
  it("over stdio: the calling client answers the fixture's sampling, elicitation and roots mid-call", async () => {
    const marker = e2e.marker();
    const { client, asked } = answeringClient("stdio-client");
    // The SDK client registers its handlers before connecting; the harness connects it.
    const hangar = await e2e.start({ providers: { fx: { command: fixtureCommand("conformance-server.js", marker) } } }, { client });
    expect(textOf(await callTool(hangar.client, "registry_invoke", { provider: "fx", tool: "test_sampling", arguments: { prompt: "hi" } }))).toBe(
      "LLM response: answer from stdio-client",
    );
    expect(textOf(await callTool(hangar.client, "fx__test_elicitation", { message: "ok?" }))).toBe(
      'User response: action=accept, content={"response":"stdio-client says yes"}',
    );
    expect(textOf(await callTool(hangar.client, "fx__test_roots"))).toContain("file:///home/stdio-client");
    expect(asked).toEqual({ sampling: ["hi"], elicitation: ["ok?"], roots: 1 });
  });

  it("over HTTP with two clients connected: each request goes to the client whose call caused it", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({ providers: { fx: { command: fixtureCommand("conformance-server.js", marker) } } });
    const a = await http(hangar.url, "a");
    const b = await http(hangar.url, "b");
    await callTool(a.client, "registry_invoke", { provider: "fx", tool: "test_simple_text" });
    // Both have called the provider; only the caller of each tool must be asked.
    expect(textOf(await callTool(b.client, "fx__test_simple_text"))).toContain("simple text");
    expect(textOf(await callTool(a.client, "fx__test_sampling", { prompt: "from a" }))).toBe("LLM response: answer from a");
    expect(textOf(await callTool(b.client, "fx__test_elicitation", { message: "b?" }))).toBe(
      'User response: action=accept, content={"response":"b says yes"}',
    );
    expect(textOf(await callTool(b.client, "fx__test_sampling", { prompt: "from b" }))).toBe("LLM response: answer from b");
    expect(a.asked).toEqual({ sampling: ["from a"], elicitation: [], roots: 0 });
    expect(b.asked).toEqual({ sampling: ["from b"], elicitation: ["b?"], roots: 0 });
  });

  it("refuses, with a clear error to the provider, a request the calling client cannot answer", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({ providers: { fx: { command: fixtureCommand("conformance-server.js", marker) } } });
    const able = await http(hangar.url, "able");
    const plain = await http(hangar.url, "plain", { sampling: false, elicitation: false, roots: false });
    await callTool(plain.client, "registry_invoke", { provider: "fx", tool: "test_simple_text" });
    const refused = await callTool(plain.client, "fx__test_sampling", { prompt: "nobody" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/does not support sampling/);
    // The able client was connected all along and was never asked.
    expect(able.asked.sampling).toEqual([]);
  });

  it("server-everything's sampling tool is answered by the calling client", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({ providers: { everything: { command: everythingCommand(marker) } } });
    const a = await http(hangar.url, "a");
    const b = await http(hangar.url, "b");
    const result = await callTool(a.client, "registry_invoke", {
      provider: "everything",
      tool: "trigger-sampling-request",
      arguments: { prompt: "hello", maxTokens: 10 },
    });
    expect(result.isError).not.toBe(true);
    expect(JSON.stringify(result.content)).toContain("answer from a");
    expect(a.asked.sampling).toHaveLength(1);
    expect(b.asked.sampling).toEqual([]);
  });
});
