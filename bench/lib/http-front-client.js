// The client side of bench/http-front-path.js, run as a child process so its CPU is not counted:
// one streamable HTTP session over a keep-alive connection, sending the headers the SDK's
// StreamableHTTPClientTransport sends through fetch (undici adds accept-language, sec-fetch-mode,
// user-agent and accept-encoding), with tools/call POSTs one after another on request.
import process from "node:process";
import { Buffer } from "node:buffer";
import { URL } from "node:url";
import { Agent, request } from "node:http";

const url = new URL(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const base = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "accept-language": "*",
  "sec-fetch-mode": "cors",
  "user-agent": "node",
  "accept-encoding": "gzip, deflate",
};

function post(body, extra = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { ...base, ...extra } }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const init = await post(
  JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "http-front-path", version: "1" } } }),
);
const session = { "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18" };
await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), session);

let next = 1;
process.on("message", async ({ calls }) => {
  let failures = 0;
  for (let i = 0; i < calls; i++) {
    const answer = await post(`{"jsonrpc":"2.0","id":${next++},"method":"tools/call","params":{"name":"p__echo","arguments":{"text":"hello"}}}`, session);
    if (answer.status !== 200 || !answer.body.includes('"hello"')) failures += 1;
  }
  process.send({ done: calls, failures });
});
process.send({ ready: true });
