import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/**
 * tools/call results are passed to the front end as the provider sent them. The SDK's
 * CallToolResultSchema would rebuild every content item (and callTool adds ajv validation of
 * structuredContent); this only checks that the result is an object and hands back the same one.
 */
export const passthroughResult = z.custom<CallToolResult>((value) => typeof value === "object" && value !== null);
/** A probe's tools/list only has to be answered; its tools are not read. */
export const anyResult = z.custom<object>((value) => typeof value === "object" && value !== null);
