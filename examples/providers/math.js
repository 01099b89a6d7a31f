#!/usr/bin/env node
// The demo provider of the README: four arithmetic tools over stdio. Division by zero is a tool
// error (isError), not a protocol error, so a client sees it as the tool's answer.
import process from "node:process";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "math", version: "1.0.0" });
const operands = { a: z.number().describe("left operand"), b: z.number().describe("right operand") };
const annotations = { readOnlyHint: true, idempotentHint: true, openWorldHint: false };
const answer = (value) => ({ content: [{ type: "text", text: String(value) }], structuredContent: { result: value } });
const outputSchema = { result: z.number() };

server.registerTool(
  "add",
  { title: "Add", description: "Adds two numbers", inputSchema: operands, outputSchema, annotations },
  ({ a, b }) => answer(a + b),
);
server.registerTool(
  "subtract",
  { title: "Subtract", description: "Subtracts b from a", inputSchema: operands, outputSchema, annotations },
  ({ a, b }) => answer(a - b),
);
server.registerTool(
  "multiply",
  { title: "Multiply", description: "Multiplies two numbers", inputSchema: operands, outputSchema, annotations },
  ({ a, b }) => answer(a * b),
);
server.registerTool(
  "divide",
  { title: "Divide", description: "Divides a by b", inputSchema: operands, outputSchema, annotations },
  ({ a, b }) =>
    b === 0
      ? { content: [{ type: "text", text: "division by zero" }], isError: true }
      : answer(a / b),
);

await server.connect(new StdioServerTransport());
process.stderr.write("math provider ready\n");
