import { afterEach, describe, expect, it } from "vitest";
import { callTool, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { startEverythingHttp, startSseFixture, stopRemoteServers } from "../helpers/remote-servers.js";

const e2e = useE2E();

afterEach(async () => {
  await stopRemoteServers();
});

describe("remote providers through the CLI", () => {
  it("fronts server-everything over streamable HTTP and the SSE fixture, and rides out a restart that loses the session", async () => {
    const everything = await startEverythingHttp();
    const legacy = await startSseFixture();
    const hangar = await e2e.start({
      providers: {
        everything: { mode: "remote", url: everything.url, headers: { "X-Api-Key": "remote-e2e-secret-value" } },
        legacy: { mode: "remote", url: legacy.url, transport: "sse" },
      },
    });
    expect(textOf(await invoke(hangar.client, "everything", "echo", { message: "one" }))).toBe("Echo: one");
    expect(textOf(await invoke(hangar.client, "legacy", "echo", { text: "one" }))).toBe("one");
    // Once started, their tools are listed under flat names.
    expect(textOf(await callTool(hangar.client, "everything__echo", { message: "flat" }))).toBe("Echo: flat");

    await Promise.all([everything.restart(), legacy.restart()]);
    expect(textOf(await callTool(hangar.client, "everything__echo", { message: "two" }))).toBe("Echo: two");
    expect(textOf(await callTool(hangar.client, "legacy__echo", { text: "two" }))).toBe("two");

    const details = jsonOf(await callTool(hangar.client, "registry_details", { provider: "everything" }));
    expect(details).toMatchObject({ mode: "remote", state: "READY", starts: 1, failures: 0, url: everything.url, header_names: ["X-Api-Key"] });
    expect(JSON.stringify(details)).not.toContain("remote-e2e-secret-value");
    expect(hangar.stderr()).not.toContain("remote-e2e-secret-value");

    await hangar.close();
    expect(everything.output.some((line) => line.includes("Received session termination request"))).toBe(true);
  });
});
