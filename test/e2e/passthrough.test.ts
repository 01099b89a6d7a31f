import { describe, expect, it } from "vitest";
import { callTool, callToolRaw, directClient, everythingCommand, fixtureCommand, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";

const e2e = useE2E();

describe("pass-through of provider results", () => {
  it("calls the real server-everything through registry_invoke and through its flat names", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { everything: { command: everythingCommand(marker) } } });
    const { client } = hangar;

    const viaRegistry = await invoke(client, "everything", "echo", { message: "hello hangar" });
    expect(viaRegistry.isError).not.toBe(true);
    expect(textOf(viaRegistry)).toContain("hello hangar");

    // Started now: its live tools are listed under flat names.
    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    expect(listed).toContain("everything__echo");
    const viaFlat = await callTool(client, "everything__echo", { message: "flat" });
    expect(textOf(viaFlat)).toContain("flat");

    const tools = jsonOf(await callTool(client, "registry_tools", { provider: "everything" })).tools as { name: string; flat_name: string }[];
    const image = tools.find((tool) => /tiny.?image/i.test(tool.name));
    expect(image, `a tiny-image tool among ${tools.map((t) => t.name).join(", ")}`).toBeDefined();
    if (image === undefined) return;

    const throughHangar = await callToolRaw(client, image.flat_name);
    const direct = await directClient(everythingCommand(marker));
    try {
      const straight = await callToolRaw(direct.client, image.name);
      expect(straight.content.some((item) => item.type === "image")).toBe(true);
      expect(throughHangar.content).toEqual(straight.content);
      expect(throughHangar).toEqual(straight);
    } finally {
      await direct.close();
    }
  });

  it("passes fixture results through unchanged: every content type, _meta, structuredContent, isError", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
    const { client } = hangar;

    expect(textOf(await invoke(client, "echo", "add", { a: 2, b: 3 }))).toBe("5");
    await client.listTools(); // the client learns echo__structured's outputSchema and checks the result against it

    const direct = await directClient(fixtureCommand("echo-server.js", marker));
    try {
      for (const tool of ["image", "structured", "fail", "echo"]) {
        const args = tool === "echo" ? { text: "round trip" } : {};
        const straight = await callToolRaw(direct.client, tool, args);
        expect(await callToolRaw(client, `echo__${tool}`, args), tool).toEqual(straight);
        expect(await callToolRaw(client, "registry_invoke", { provider: "echo", tool, arguments: args }), tool).toEqual(straight);
      }
    } finally {
      await direct.close();
    }

    const structured = await callTool(client, "echo__structured");
    expect(structured.structuredContent).toEqual({ value: 7, label: "seven" });
    expect(structured.isError).not.toBe(true);

    const failed = await callTool(client, "echo__fail");
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toBe("this tool always fails");
    const failedViaRegistry = await invoke(client, "echo", "fail");
    expect(failedViaRegistry.isError).toBe(true);
    expect(textOf(failedViaRegistry)).toBe("this tool always fails");

    const image = await callToolRaw(client, "echo__image");
    expect(image.content.map((item) => item.type)).toEqual(["image", "text", "audio", "resource_link", "resource"]);
    expect(image._meta).toEqual({ "fixture/result": 42 });
  });

  it("keeps its own stdout pure MCP while a provider writes non-MCP lines on its stdout", async () => {
    const marker = e2e.marker();
    const clientErrors: Error[] = [];
    const hangar = await e2e.start(
      { providers: { noisy: { command: fixtureCommand("garbage-server.js", marker) } } },
      {
        beforeConnect: (client) => {
          client.onerror = (error) => {
            clientErrors.push(error);
          };
        },
      },
    );
    for (let i = 0; i < 3; i++) expect(textOf(await invoke(hangar.client, "noisy", "echo", { text: `line ${i}` }))).toBe(`line ${i}`);
    expect(textOf(await callTool(hangar.client, "noisy__echo", { text: "flat" }))).toBe("flat");
    expect(clientErrors.map((error) => error.message)).toEqual([]);
    await hangar.waitForStderr("non-MCP line");
  });
});

