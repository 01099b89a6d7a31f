import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

/** What one answering client was asked, by method. */
export interface Asked {
  sampling: string[];
  elicitation: string[];
  roots: number;
}

/**
 * An SDK client that answers a provider's sampling, elicitation and roots requests with answers
 * that name it, and records what it was asked — so a test can tell which client answered.
 */
export function answeringClient(name: string, features: { sampling?: boolean; elicitation?: boolean; roots?: boolean } = {}): { client: Client; asked: Asked } {
  const { sampling = true, elicitation = true, roots = true } = features;
  const client = new Client(
    { name, version: "1.0.0" },
    {
      capabilities: {
        ...(sampling ? { sampling: {} } : {}),
        ...(elicitation ? { elicitation: {} } : {}),
        ...(roots ? { roots: { listChanged: true } } : {}),
      },
    },
  );
  const asked: Asked = { sampling: [], elicitation: [], roots: 0 };
  if (sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      const first = request.params.messages[0]?.content;
      asked.sampling.push(first !== undefined && "text" in first ? first.text : "");
      return { role: "assistant", model: `model-of-${name}`, content: { type: "text", text: `answer from ${name}` } };
    });
  }
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.elicitation.push(request.params.message);
      return { action: "accept", content: { response: `${name} says yes` } };
    });
  }
  if (roots) {
    client.setRequestHandler(ListRootsRequestSchema, () => {
      asked.roots++;
      return { roots: [{ uri: `file:///home/${name}`, name }] };
    });
  }
  return { client, asked };
}

/** Connects an answering client to an HTTP hangar's streamable endpoint. */
export async function connectHttp(url: string, name: string, features?: Parameters<typeof answeringClient>[1]): Promise<{ client: Client; asked: Asked }> {
  const answering = answeringClient(name, features);
  await answering.client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return answering;
}
