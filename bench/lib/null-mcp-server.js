// A null MCP server over streamable HTTP, for bench/http-census.js: node:http, one JSON body in,
// one JSON answer out (application/json with a Content-Length, as the hangar answers), no
// provider, no session table, no checks. What a server costs per call when it does nothing
// but node:http's work and a JSON parse and stringify: the floor under any HTTP front end.
// Usage: node bench/lib/null-mcp-server.js PORT (prints "ready" once listening on 127.0.0.1).
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import process from "node:process";

const SESSION_ID = "00000000-0000-4000-8000-000000000000";

const server = createServer((req, res) => {
  if (req.method !== "POST") {
    req.resume();
    res.writeHead(405, { "Content-Length": "0" }).end();
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => {
    const message = JSON.parse(body);
    if (message.id === undefined) {
      res.writeHead(202, { "Content-Length": "0", "mcp-session-id": SESSION_ID }).end();
      return;
    }
    const result =
      message.method === "initialize"
        ? { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "null", version: "1.0.0" } }
        : { content: [{ type: "text", text: message.params?.arguments?.text ?? "" }] };
    const text = JSON.stringify({ result, jsonrpc: "2.0", id: message.id });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "mcp-session-id": SESSION_ID }).end(text);
  });
});
server.listen(Number(process.argv[2]), "127.0.0.1", () => {
  process.stdout.write("ready\n");
});
