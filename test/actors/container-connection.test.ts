import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownIdentity, ownerLabels, LABEL } from "../../src/actors/container-labels.js";
import { removeLeftoverContainers } from "../../src/actors/container-leftovers.js";
import { ContainerProcess } from "../../src/actors/container-process.js";
import { processStartTime } from "../../src/actors/process-table.js";
import { pendingTeardowns } from "../../src/actors/teardown-registry.js";
import type { ContainerProviderSpec } from "../../src/config/types.js";
import { eventually } from "../helpers/cli.js";
import { checkEngine, fixtureImage } from "../helpers/container-image.js";
import { capturingLog, resultText, useModeRuntimes } from "../helpers/mode-runtime.js";
import { testCommonSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

const check = await checkEngine();
const engine = check.engine;
let image = "";
const startRuntime = useModeRuntimes();
const SERVER_COMMAND = ["/usr/bin/node", "/app/server.js"];

beforeAll(async () => {
  if (engine !== undefined) image = await fixtureImage(engine);
}, 120_000);


function uniqueId(): string {
  return `c${randomBytes(4).toString("hex")}`;
}

function containerSpec(overrides: Partial<ContainerProviderSpec> = {}): ContainerProviderSpec {
  return {
    ...testCommonSpec(),
    id: uniqueId(),
    mode: "container",
    image,
    command: SERVER_COMMAND,
    entrypoint: undefined,
    env: {},
    volumes: [],
    user: "1000:1000",
    isolation: { network: "none", readOnly: true, capAdd: [], allowSensitiveMounts: false, memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 64 },
    startupTimeoutS: 20,
    callTimeoutS: 20,
    shutdownGraceS: 2,
    ...overrides,
  };
}




/** What `docker ps -a` lists for a provider: every container, running or not, with its label. */
function containersOf(dockerEngine: Dockerode, providerId: string): Promise<Dockerode.ContainerInfo[]> {
  return dockerEngine.listContainers({ all: true, filters: { label: [`${LABEL.provider}=${providerId}`] } });
}


describe.skipIf(engine === undefined)("container providers (real Docker engine)", () => {
  const dockerEngine = engine as Dockerode;

  it("keeps what the session writes from the server until the container's pid is known: an answer read earlier made the provider READY without one", async () => {
    // The engine as it is, but its inspect (where the pid comes from) answers 500 ms late, as on a loaded machine.
    const lateInspect = new Proxy(dockerEngine, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key);
        if (key !== "createContainer" || typeof value !== "function") return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        return async (options: Dockerode.ContainerCreateOptions) => {
          const container = await target.createContainer(options);
          const inspect = container.inspect.bind(container);
          container.inspect = (async () => {
            await new Promise((resolve) => setTimeout(resolve, 500));
            return inspect();
          }) as typeof container.inspect;
          return container;
        };
      },
    });
    const container = new ContainerProcess(containerSpec(), lateInspect, capturingLog([]));
    try {
      const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
      container.stdin.write(`${JSON.stringify(initialize)}\n`);
      await once(container.stdout, "data");
      expect(container.pid).toBeGreaterThan(0);
    } finally {
      await container.terminate(1_000);
    }
  });

  it("starts lazily, answers calls, stops on idle and removes its container: docker ps -a shows nothing of it after", async () => {
    // Idle for 3 s: long enough that the engine's container list, slow on a loaded machine, still
    // finds the container running (with 1 s the idle stop came first in one landing).
    const spec = containerSpec({ idleTtlS: 3 });
    const runtime = startRuntime(spec);
    expect(await containersOf(dockerEngine, spec.id)).toEqual([]);
    expect(runtime.view(spec.id)?.state).toBe("COLD");

    expect(resultText(await runtime.invoke(spec.id, "echo", { text: "from a container" }))).toBe("from a container");
    // Read in the same turn as the answer: no idle timer can have run since.
    expect(runtime.view(spec.id)?.pid).toBeGreaterThan(0);
    const running = await containersOf(dockerEngine, spec.id);
    expect(running).toHaveLength(1);
    expect(running[0]?.Labels[LABEL.ownerPid]).toBe(String(process.pid));
    expect(running[0]?.Labels[LABEL.owner]).toBe(ownIdentity().id);

    await waitFor(() => runtime.view(spec.id)?.state === "COLD", 15_000, "the idle stop");
    await pendingTeardowns();
    expect(await containersOf(dockerEngine, spec.id)).toEqual([]);
  });

  it("holds isolation inside: no writes outside /tmp, only loopback, no capabilities", async () => {
    const spec = containerSpec();
    const runtime = startRuntime(spec);
    const seen = JSON.parse(resultText(await runtime.invoke(spec.id, "isolation", {}))) as Record<string, unknown>;
    expect(seen).toMatchObject({
      capEff: "0000000000000000",
      capBnd: "0000000000000000",
      noNewPrivs: "1",
      interfaces: ["lo"],
      writeRoot: "EROFS",
      writeApp: "EROFS",
      writeTmp: "ok",
      uid: 1000,
    });
    const view = runtime.view(spec.id);
    expect(view?.target).toMatchObject({ mode: "container", image, isolation: { network: "none", readOnly: true, loosened: [] } });
    const [info] = await containersOf(dockerEngine, spec.id);
    const inspected = await dockerEngine.getContainer(info?.Id ?? "").inspect();
    expect(inspected.HostConfig).toMatchObject({ Privileged: false, ReadonlyRootfs: true, CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges"], PidsLimit: 64, Memory: 256 * 1024 * 1024 });
  });

  it("killed from outside: the in-flight call errors at once, and recovery starts a new container", async () => {
    const spec = containerSpec({ restart: { initialDelayS: 0.2, maxDelayS: 1, multiplier: 2, maxRestarts: 5, windowS: 60 } });
    const runtime = startRuntime(spec);
    await runtime.startProvider(spec.id);
    const [first] = await containersOf(dockerEngine, spec.id);
    const firstPid = runtime.view(spec.id)?.pid;

    const inflight = runtime.invoke(spec.id, "slow", { ms: 15_000 });
    const started = performance.now();
    await dockerEngine.getContainer(first?.Id ?? "").kill();
    const outcome = await inflight;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(outcome).toMatchObject({ status: "failure", kind: "crash" });
    expect(outcome.status === "failure" ? outcome.message : "").toMatch(/was killed by SIGKILL/);

    await waitFor(() => runtime.view(spec.id)?.state === "READY" && runtime.view(spec.id)?.pid !== firstPid, 15_000, "recovery to restart the container");
    expect(resultText(await runtime.invoke(spec.id, "echo", { text: "back" }))).toBe("back");
    // The killed container was removed; only the new one is there.
    const now = await eventually(async () => {
      const list = await containersOf(dockerEngine, spec.id);
      return list.length === 1 ? list : undefined;
    }, 10_000, "the killed container's removal");
    expect(now[0]?.Id).not.toBe(first?.Id);
  });

  it("removes at start-up the labelled containers of a dead earlier hangar, never those of a live one", async () => {
    const providerId = uniqueId();
    // A "crashed" hangar: a process that has exited, so its pid names nobody (or someone later).
    const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const deadPid = dead.pid ?? 0;
    await once(dead, "exit");
    // A hangar still running beside us.
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const livePid = live.pid ?? 0;
      await waitFor(() => processStartTime(livePid), 5_000, "the live process's start time");
      // A host name of its own: a hangar that other test files start meanwhile (containers.test.ts and
      // the like run beside this one) cleans up dead owners of *its* host at start-up, and would take
      // this leftover first — this test's cleanup is the only one that may see these two containers.
      const me = { ...ownIdentity(), host: `test-host-${providerId}` };
      const deadOwner = { ...me, id: "dead-hangar", pid: deadPid, startTime: "1" };
      const liveOwner = { ...me, id: "live-hangar", pid: livePid, startTime: processStartTime(livePid) ?? "" };
      const make = (labels: Record<string, string>, name: string) =>
        dockerEngine.createContainer({ Image: image, Cmd: SERVER_COMMAND, Labels: labels, name: `${providerId}-${name}`, HostConfig: { NetworkMode: "none" } });
      const leftover = await make(ownerLabels(providerId, deadOwner), "leftover");
      await leftover.start();
      const neighbour = await make(ownerLabels(providerId, liveOwner), "neighbour");

      const removed = await removeLeftoverContainers(dockerEngine, capturingLog([]), me);
      expect(removed).toContain(`${providerId}-leftover`);
      expect(removed).not.toContain(`${providerId}-neighbour`);
      const remaining = await containersOf(dockerEngine, providerId);
      expect(remaining.map((info) => info.Names[0])).toEqual([`/${providerId}-neighbour`]);
      await neighbour.remove({ force: true });
    } finally {
      live.kill("SIGKILL");
    }
  });

  it("says what is wrong: a missing image (how to pull or build it), a container that exits at start (its last lines)", async () => {
    const missing = containerSpec({ image: "mcp-hangar-test/does-not-exist:1" });
    const runtime = startRuntime(missing);
    const result = await runtime.startProvider(missing.id);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toMatch(
      /image mcp-hangar-test\/does-not-exist:1 is not available to the engine: pull it \(docker pull mcp-hangar-test\/does-not-exist:1\) or build it/,
    );

    const exiting = containerSpec({ env: { FIXTURE_EXIT_AT_START: "3" } });
    const second = startRuntime(exiting);
    const exited = await second.startProvider(exiting.id);
    expect(exited.ok).toBe(false);
    expect(exited.ok ? "" : exited.message).toMatch(/exited with code 3 before completing MCP initialization/);
    expect(exited.ok ? [] : exited.stderrTail).toContain("container-server: refusing to start (FIXTURE_EXIT_AT_START)");
    await pendingTeardowns();
    expect(await containersOf(dockerEngine, exiting.id)).toEqual([]);
  });

  it("never logs env values", async () => {
    const secret = `value-${randomBytes(8).toString("hex")}`;
    const logLines: string[] = [];
    const spec = containerSpec({ env: { PLAIN_SETTING: secret } });
    const runtime = startRuntime(spec, logLines);
    expect(resultText(await runtime.invoke(spec.id, "echo", { text: "x" }))).toBe("x");
    await runtime.stopProvider(spec.id);
    expect(logLines.some((line) => line.includes("creating container"))).toBe(true);
    expect(logLines.join("\n")).not.toContain(secret);
  });
});

describe("container providers without an engine", () => {
  it("says no engine is reachable, and where it looked", async () => {
    const previous = process.env.DOCKER_HOST;
    const { containerLauncher } = await import("../../src/actors/container-launcher.js");
    const { engineFromEnv } = await import("../../src/actors/container-engine.js");
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
    try {
      const spec = containerSpec({ image: "whatever:1" });
      const launcher = containerLauncher(spec, capturingLog([]), engineFromEnv());
      const child = launcher.launch();
      const [error] = (await once(child as unknown as NodeJS.EventEmitter, "error")) as [Error];
      expect(error.message).toMatch(/no container engine reachable at unix:\/\/\/nonexistent\/docker.sock \(ENOENT\): is Docker \(or Podman\) running\?/);
      await launcher.terminate(child, 100);
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });
});

afterAll(async () => {
  await pendingTeardowns();
});
