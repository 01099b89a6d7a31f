// The light load generator of scenario 3's reference rows: plain keep-alive HTTP POSTs of the
// same JSON-RPC tools/call, no SDK client. The SDK's StreamableHTTPClientTransport (fetch, web
// streams, zod on every answer) costs the bench process 0.5–0.8 ms of CPU per call, on the same
// two cores the servers run on; at 16 callers that compresses any ratio between two servers
// toward 1. This client costs a fraction of that, so its rows measure the servers.
//
// One initialized MCP session per caller, each over its own keep-alive connection (a node:http
// Agent with one socket), as 16 SDK clients would hold. Both servers are driven the same way;
// an answer may come as application/json (the hangar) or as an event stream (mcp-proxy's SDK
// transport), and either is read to its end before the next call goes out.
import { Agent, request } from "node:http";
import { URL } from "node:url";

const INITIALIZE_PROTOCOL = "2025-06-18";

/**
 * POSTs `body` to `url` over `agent`; resolves with the status, headers and the body as text.
 * A kept-alive connection the server closed as idle (node:http's keepAliveTimeout, 5 s in the
 * hangar) while this request went out on it fails with ECONNRESET before any answer: that one is
 * sent again on a fresh connection, as node's docs advise (request.reusedSocket). The server
 * never read it, so nothing is called twice.
 */
function post(url, agent, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode, headers: res.headers, text });
        });
        res.on("error", reject);
      },
    );
    req.on("error", (error) => {
      if (req.reusedSocket && error.code === "ECONNRESET") post(url, agent, headers, body).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

/** The JSON-RPC message of an answer: the body itself, or the first `data:` line of an event stream. */
function messageOf(answer) {
  const type = answer.headers["content-type"] ?? "";
  if (!type.startsWith("text/event-stream")) return JSON.parse(answer.text);
  const start = answer.text.indexOf("data: ");
  if (start === -1) throw new Error(`an event stream without a message: ${answer.text.slice(0, 200)}`);
  const end = answer.text.indexOf("\n", start);
  return JSON.parse(answer.text.slice(start + 6, end === -1 ? undefined : end));
}

/** One MCP session over one keep-alive connection: initialize, notifications/initialized, then tools/call on demand. */
async function openSession(url, index) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const init = await post(
    url,
    agent,
    {},
    JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: INITIALIZE_PROTOCOL, capabilities: {}, clientInfo: { name: `bench-light-${index}`, version: "1.0.0" } },
    }),
  );
  const sessionId = init.headers["mcp-session-id"];
  if (init.status !== 200 || typeof sessionId !== "string") throw new Error(`initialize at ${url} answered ${init.status}: ${init.text.slice(0, 200)}`);
  const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": messageOf(init).result.protocolVersion };
  const initialized = await post(url, agent, headers, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
  if (initialized.status !== 202) throw new Error(`notifications/initialized at ${url} answered ${initialized.status}`);
  let next = 1;
  return {
    /** `params` is the tools/call's params as JSON text, built once by the caller. */
    /** One tools/call; resolves with its result (isError set on a tool error), rejects on anything else. */
    call: async (params) => {
      const body = `{"jsonrpc":"2.0","id":${next++},"method":"tools/call","params":${params}}`;
      const answer = await post(url, agent, headers, body);
      if (answer.status !== 200) throw new Error(`tools/call answered ${answer.status}`);
      const message = messageOf(answer);
      if (message.result === undefined) throw new Error(`tools/call failed: ${JSON.stringify(message.error)}`);
      return message.result;
    },
    close: async () => {
      await new Promise((resolve) => {
        const req = request(url, { method: "DELETE", agent, headers }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", resolve);
        req.end();
      });
      agent.destroy();
    },
  };
}

/**
 * `callers` sessions at `url` (the server's MCP endpoint). `call(worker)` sends one tools/call
 * of `tool` with `args` on session `worker` (0 when not given).
 */
export async function openLightCallers(url, callers, tool, args) {
  const params = JSON.stringify({ name: tool, arguments: args });
  const sessions = [];
  for (let i = 0; i < callers; i++) sessions.push(await openSession(new URL(url), i));
  return {
    call: (worker = 0) => sessions[worker].call(params),
    close: () => Promise.all(sessions.map((session) => session.close())),
  };
}
