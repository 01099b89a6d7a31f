import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach } from "vitest";
import { healthProbe } from "../../src/actors/health-probe.js";
import { pendingTerminations } from "../../src/actors/process-registry.js";
import { createProviderConnection } from "../../src/actors/provider-connection.js";
import { parseConfig } from "../../src/config/load.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { Caller, FrontEnd } from "../../src/security/admin-gate.js";
import { SecurityControls } from "../../src/security/security-controls.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { ClientHub } from "../../src/transports/client-hub.js";
import { createHangarServer } from "../../src/transports/mcp-server.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";

/**
 * The real hangar — config loader, actor system, subprocess providers, MCP front end — in this
 * process, with an SDK client over an in-memory pipe, so a test can give the security controls a
 * fake clock and a client any principal. Providers are real processes over real stdio pipes.
 */
export interface InProcessHangar {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  security: SecurityControls;
  /** Every domain event so far. */
  events: StampedDomainEvent[];
  /** A connected client calling as `caller` (anonymous by default). */
  connect: (caller?: Caller) => Promise<Client>;
}

export interface InProcessOptions {
  frontEnd?: FrontEnd;
  clock?: () => number;
  env?: NodeJS.ProcessEnv;
}

export function useInProcessHangars(): (config: object, options?: InProcessOptions) => Promise<InProcessHangar> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await pendingTerminations();
  });

  return (rawConfig, options = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "hangar-security-"));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const config = parseConfig(JSON.stringify(rawConfig), join(dir, "hangar.yaml"), options.env ?? process.env);
    // The client hub as the CLI wires it: providers' initialize answers (capabilities) reach the front end.
    const bridge = new ClientHub();
    const runtime = new HangarRuntime(config, { connection: createProviderConnection({ bridge }), bridge, healthProbe }).start();
    cleanups.push(() => runtime.shutdown());
    const catalogue = new ToolCatalogue(runtime);
    cleanups.push(() => {
      catalogue.close();
      return Promise.resolve();
    });
    const events: StampedDomainEvent[] = [];
    runtime.events.subscribe((event) => events.push(event));
    const security = new SecurityControls(config, {
      frontEnd: options.frontEnd ?? "stdio",
      specOf: (id) => runtime.spec(id),
      membersOf: (id) => runtime.groupMemberIds(id),
      events: runtime.events,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });

    const connect = async (caller?: Caller): Promise<Client> => {
      const server = createHangarServer(runtime, catalogue, config.expose, security);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      if (caller?.principal !== undefined) {
        // What the HTTP front end attaches to each request of an authenticated principal.
        const authInfo = { token: "", clientId: caller.principal, scopes: [...caller.roles] };
        const send = clientSide.send.bind(clientSide);
        clientSide.send = (message: JSONRPCMessage) => send(message, { authInfo });
      }
      await server.connect(serverSide);
      const client = new Client({ name: "security-test", version: "1" });
      await client.connect(clientSide);
      cleanups.push(async () => {
        await client.close();
        await server.close();
      });
      return client;
    };
    return Promise.resolve({ runtime, catalogue, security, events, connect });
  };
}
