import { dottedPath, schemaProblems, type SchemaIssue } from "./schema-issues.js";

/** How many problems one answer names before it says "and N more". */
const PROBLEMS_SHOWN = 3;

/**
 * What is wrong with a request's params, in words a client can act on, from the issues the SDK's
 * own request schema (zod) found: "resources/read: params.uri must be a string, not the number 5".
 * Left to the SDK, a request that fails its schema answers -32603 Internal error with zod's issue
 * list as JSON; JSON-RPC and MCP call it -32602 Invalid params (see HangarServer).
 */
export function paramsProblem(method: string, issues: readonly SchemaIssue[], request: unknown): string {
  const problems = schemaProblems(issues, request).map((problem) => `${dottedPath(problem.path, "the request")} ${problem.text}`);
  const shown = problems.slice(0, PROBLEMS_SHOWN).join("; ");
  const more = problems.length > PROBLEMS_SHOWN ? ` (and ${problems.length - PROBLEMS_SHOWN} more)` : "";
  return `${method}: ${shown}${more}`;
}
