import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, invoke, textOf, useE2E } from "../helpers/cli.js";
import { freePort, startEverythingHttp, stopRemoteServers } from "../helpers/remote-servers.js";

const e2e = useE2E();

afterEach(async () => {
  await stopRemoteServers();
});

/**
 * A remote provider whose server is not up yet when it is first used (a container still booting,
 * a service deployed after the hangar). First nobody listens on the port (refused); then something
 * accepts connections and drops them, as Docker's port proxy does before the container's server
 * listens; then the real server starts on that port. Each failed start says clearly that the
 * server cannot be reached, and once the server listens a call — after the breaker's wait — is
 * served: nothing of a failed attempt (client, transport, pooled connection) may stick.
 */
describe("remote provider whose server starts late", () => {
  it("fails clearly while nobody listens or connections drop, then serves once the server is up on that port", async () => {
    const port = await freePort();
    const hangar = await e2e.start({
      providers: {
        late: {
          mode: "remote",
          url: `http://127.0.0.1:${port}/mcp`,
          startup_timeout_s: 3,
          circuit_breaker: { failure_threshold: 2, reset_timeout_s: 0.5 },
        },
      },
    });
    const failures: string[] = [];
    const failOnce = async (): Promise<void> => {
      const result = await invoke(hangar.client, "late", "echo", { message: "too early" });
      expect(result.isError, textOf(result)).toBe(true);
      failures.push(textOf(result));
    };

    // Nobody listens: refused.
    await failOnce();
    await failOnce();
    expect(failures[0]).toMatch(/could not connect to remote provider "late" at http:\/\/127\.0\.0\.1:\d+\/mcp: fetch failed/);

    // Something accepts and drops every connection (a port proxy with nothing behind it yet).
    const accepted = new Set<Socket>();
    const dropper = createServer((socket) => {
      accepted.add(socket);
      socket.destroy();
    });
    dropper.listen(port, "127.0.0.1");
    await once(dropper, "listening");
    await eventually(
      async () => {
        await failOnce();
        return accepted.size > 0;
      },
      10_000,
      "a start that reaches the dropping listener",
    );
    dropper.close();
    await once(dropper, "close");

    // The real server on the same port: a later call is served.
    await startEverythingHttp(port);
    const answer = await eventually(
      async () => {
        const result = await invoke(hangar.client, "late", "echo", { message: "now up" });
        return result.isError === true ? undefined : result;
      },
      15_000,
      "a call to the late provider to succeed once its server listens",
    );
    expect(textOf(answer)).toBe("Echo: now up");
    // Every failure was one of: cannot connect, or the breaker holding calls back meanwhile.
    for (const message of failures) expect(message).toMatch(/could not connect to remote provider "late"|circuit breaker for provider 'late' is OPEN/);
  });
});
