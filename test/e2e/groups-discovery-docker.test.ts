import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { callTool, eventually, textOf, useE2E } from "../helpers/cli.js";
import { listening } from "../helpers/discovery.js";
import { docker, dockerAvailable, ensureTestImage, removeContainers, runContainer, testScope } from "../helpers/docker-engine.js";
import { memberOf, untilGroup } from "../helpers/groups.js";
import { startEverythingHttp, stopRemoteServers } from "../helpers/remote-servers.js";

const e2e = useE2E();
const ENGINE = dockerAvailable();
const started: string[] = [];
/** This file's containers only: the other Docker test files run alongside on the same engine. */
const SCOPE = testScope();

beforeAll(() => {
  if (ENGINE) ensureTestImage();
});

afterEach(async () => {
  removeContainers(started.splice(0));
  await stopRemoteServers();
});

describe.runIf(ENGINE)("Docker discovery: the mcp.hangar.group label (real engine)", () => {
  it("a labelled container joins the configured group, calls through <group>__<tool> reach it, and stopping it removes it", async () => {
    // The configured member: the same server on loopback, with echo predefined so pool__echo lists from the start.
    const local = await startEverythingHttp();
    const hangar = await e2e.start({
      providers: {
        local: { mode: "remote", url: local.url, tools: [{ name: "echo" }] },
        pool: { mode: "group", strategy: "round_robin", members: ["local"] },
      },
      discovery: { sources: [{ type: "docker", name: "local", address: "published", labels: SCOPE }] },
    });
    const { client } = hangar;
    const name = `hangar-group-${randomUUID().slice(0, 8)}`;
    started.push(name);
    runContainer({
      name,
      labels: {
        "mcp.hangar.enabled": "true",
        "mcp.hangar.name": "boxed",
        "mcp.hangar.mode": "http",
        "mcp.hangar.port": "3001",
        "mcp.hangar.group": "pool",
        "mcp.hangar.weight": "2",
        ...SCOPE,
      },
      publish: 3001,
      env: { PORT: "3001" },
      argv: ["/repo/node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp"],
    });
    const row = await untilGroup(client, "pool", (group) => group.members.length === 2, 10_000, "the container to join pool");
    expect(row.members.map((m) => [m.id, m.weight])).toEqual([["local", 1], ["boxed", 2]]);
    const published = docker("port", name, "3001/tcp").split("\n")[0]?.trim() ?? "";
    await eventually(() => listening(`http://${published}/mcp`), 10_000, "the server in the container to listen");

    // Round robin over both: the container's server answers some of the calls through pool__echo.
    const answeredBy = new Set<string>();
    for (let i = 0; i < 4; i += 1) {
      const result = await callTool(client, "pool__echo", { message: `call ${i}` });
      expect(textOf(result)).toContain(`call ${i}`);
      answeredBy.add(memberOf(result) ?? "?");
    }
    expect([...answeredBy].sort()).toEqual(["boxed", "local"]);

    docker("stop", "-t", "1", name);
    await untilGroup(client, "pool", (group) => group.members.map((m) => m.id).join() === "local", 10_000, "the stopped container to leave pool");
    for (let i = 0; i < 2; i += 1) expect(memberOf(await callTool(client, "pool__echo", { message: "after" }))).toBe("local");
  });
});
