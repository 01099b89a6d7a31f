import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessTransport } from "../../src/actors/child-process-transport.js";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { turnEnds, waitFor } from "../helpers/wait.js";

/**
 * Over real pipes: a process that writes `lines` on its stdout in one write (so they arrive in
 * one read) and keeps its stdin open, reading, until it is killed.
 */
function peerWriting(lines: object[]): ChildProcessByStdio<Writable, Readable, null> {
  const text = lines.map((line) => `${JSON.stringify(line)}\n`).join("");
  const script = `process.stdout.write(${JSON.stringify(text)}); process.stdin.resume();`;
  return spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
}

/** The system calls a pipe's socket makes to write: each _write and _writev is one. */
function recordWrites(socket: Writable): string[][] {
  const writes: string[][] = [];
  type Chunks = { chunk: Buffer | string }[];
  const internals = socket as unknown as {
    _write: (chunk: Buffer | string, encoding: string, done: () => void) => void;
    _writev: (chunks: Chunks, done: () => void) => void;
  };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (chunk, encoding, done) => {
    writes.push([String(chunk)]);
    write(chunk, encoding, done);
  };
  internals._writev = (chunks, done) => {
    writes.push(chunks.map(({ chunk }) => String(chunk)));
    writev(chunks, done);
  };
  return writes;
}

const peers: { kill: () => boolean }[] = [];
afterEach(() => {
  for (const peer of peers.splice(0)) peer.kill();
});

describe("a read of several lines sends what it leads to in one write, the first message too", () => {
  it("the stdio front end: a chunk of requests read at once is answered in one write", async () => {
    const requests = [1, 2, 3].map((id) => ({ jsonrpc: "2.0", id, method: "ping" }));
    const client = peerWriting(requests);
    peers.push(client);
    const writes = recordWrites(client.stdin);
    const transport = new StdioServerLineTransport(client.stdout, client.stdin);
    const answered: number[] = [];
    transport.onmessage = (message) => {
      const id = (message as { id: number }).id;
      answered.push(id);
      void transport.send({ jsonrpc: "2.0", id, result: {} });
    };
    await transport.start();
    await waitFor(() => answered.length === 3, 5_000, "the three requests");
    await turnEnds();
    const line = (id: number): string => `${JSON.stringify({ jsonrpc: "2.0", id, result: {} })}\n`;
    // Before: the first answer alone, then the other two — the client woken twice.
    expect(writes).toEqual([[line(1), line(2), line(3)]]);
    await transport.close();
  });

  it("the provider leg: a chunk of answers read at once, and the requests they lead to leave together", async () => {
    const answers = [1, 2].map((id) => ({ jsonrpc: "2.0", id, result: {} }));
    const provider = peerWriting(answers);
    peers.push(provider);
    const writes = recordWrites(provider.stdin);
    const transport = new ChildProcessTransport(provider.stdin, provider.stdout);
    const ping = (id: number): JSONRPCMessage => ({ jsonrpc: "2.0", id, method: "ping" });
    let read = 0;
    transport.onmessage = (message) => {
      read++;
      transport.write(ping(100 + (message as { id: number }).id));
    };
    await transport.start();
    await waitFor(() => read === 2, 5_000, "the two answers");
    await turnEnds();
    const line = (id: number): string => `${JSON.stringify(ping(id))}\n`;
    expect(writes).toEqual([[line(101), line(102)]]);

    // Nothing read this turn: a message leaves at once, as for a lone call.
    await turnEnds();
    transport.write(ping(7));
    expect(writes).toEqual([[line(101), line(102)], [line(7)]]);
    await transport.close();
  });
});
