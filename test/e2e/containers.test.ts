import { randomBytes } from "node:crypto";
import type Dockerode from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/actors/container-labels.js";
import { callTool, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { checkEngine, fixtureImage } from "../helpers/container-image.js";

const e2e = useE2E();
const check = await checkEngine();
const engine = check.engine;
let image = "";

beforeAll(async () => {
  if (engine !== undefined) image = await fixtureImage(engine);
}, 120_000);

function containersOf(dockerEngine: Dockerode, providerId: string): Promise<Dockerode.ContainerInfo[]> {
  return dockerEngine.listContainers({ all: true, filters: { label: [`${LABEL.provider}=${providerId}`] } });
}

function containerConfig(id: string, extra: Record<string, unknown> = {}): object {
  return {
    providers: {
      [id]: { mode: "docker", image, command: ["/usr/bin/node", "/app/server.js"], user: "1000:1000", shutdown_timeout_s: 2, ...extra },
    },
  };
}

describe.skipIf(engine === undefined)("container providers through the CLI (real Docker engine)", () => {
  const dockerEngine = engine as Dockerode;

  it("a hangar killed with SIGKILL leaves its container; the next hangar removes it at start-up, and its own shutdown leaves nothing", async () => {
    const id = `box${randomBytes(3).toString("hex")}`;
    const config = e2e.writeConfig(containerConfig(id));

    const crashed = await e2e.startWith(config);
    expect(textOf(await invoke(crashed.client, id, "echo", { text: "first" }))).toBe("first");
    const [left] = await containersOf(dockerEngine, id);
    expect(left?.Labels[LABEL.ownerPid]).toBe(String(crashed.pid));
    process.kill(crashed.pid, "SIGKILL");
    await crashed.exited;
    // Nobody removed it: the hangar had no chance to.
    expect((await containersOf(dockerEngine, id)).map((info) => info.Id)).toEqual([left?.Id]);

    const next = await e2e.startWith(config);
    await next.waitForStderr("containers left by a hangar that is gone", 10_000);
    expect(await containersOf(dockerEngine, id)).toEqual([]);

    expect(textOf(await invoke(next.client, id, "echo", { text: "second" }))).toBe("second");
    const details = jsonOf(await callTool(next.client, "registry_details", { provider: id }));
    expect(details).toMatchObject({ mode: "container", image, isolation: { network: "none", read_only: true, cap_add: [], loosened: [] } });
    expect(await containersOf(dockerEngine, id)).toHaveLength(1);

    await next.close();
    expect(await containersOf(dockerEngine, id)).toEqual([]);
  });

  it("registry_details names every loosened isolation key, before the provider ever starts", async () => {
    const id = `loose${randomBytes(3).toString("hex")}`;
    const hangar = await e2e.start(containerConfig(id, { network: "bridge", read_only: false, cap_add: ["NET_BIND_SERVICE"] }));
    const details = jsonOf(await callTool(hangar.client, "registry_details", { provider: id }));
    expect(details).toMatchObject({
      state: "COLD",
      isolation: { network: "bridge", read_only: false, cap_add: ["NET_BIND_SERVICE"], loosened: ["network: bridge", "read_only: false", "cap_add: [NET_BIND_SERVICE]"] },
    });
  });
});
