import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { callTool, eventually, fixtureCommand, invoke, jsonOf } from "./cli.js";

/** Helpers for the provider-group tests: member configs, who answered, group views. */

/** An echo-server member tagged with the test's marker; MEMBER names it in its own environment. */
export function echoMember(marker: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: fixtureCommand("echo-server.js", marker), env: { MEMBER: name }, ...extra };
}

/** The member that answered a group call, as the result's `_meta` says. */
export function memberOf(result: CallToolResult): string | undefined {
  const member = result._meta?.["mcp-hangar/member"];
  return typeof member === "string" ? member : undefined;
}

/** What a group call's `_meta` says was retried. */
export function retriedOf(result: CallToolResult): { member: string; kind: string; message: string }[] {
  const retried = result._meta?.["mcp-hangar/retried"];
  return Array.isArray(retried) ? (retried as { member: string; kind: string; message: string }[]) : [];
}

/**
 * Sends `count` calls of `tool` to the group, at most `concurrency` at a time, and counts the
 * answers per member (from `_meta`); any error result fails the run.
 */
export async function distribution(
  client: Client,
  group: string,
  count: number,
  options: { tool?: string; args?: Record<string, unknown>; concurrency?: number } = {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const result = await invoke(client, group, options.tool ?? "echo", options.args ?? { text: "x" });
      if (result.isError === true) throw new Error(`a call to group ${group} failed: ${JSON.stringify(result)}`);
      const member = memberOf(result) ?? "(none)";
      counts[member] = (counts[member] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  return counts;
}

export interface GroupMemberRow {
  id: string;
  weight: number;
  priority: number;
  state: string;
  breaker: string;
  in_rotation: boolean;
  in_flight: number;
  preferred: boolean;
  active: boolean;
}

export interface GroupRow {
  id: string;
  state: "HEALTHY" | "PARTIAL" | "INACTIVE";
  strategy: string;
  preferred?: string;
  active?: string;
  members: GroupMemberRow[];
}

export async function groupRow(client: Client, group: string): Promise<GroupRow> {
  const rows = jsonOf(await callTool(client, "registry_group_list", { group })).groups as GroupRow[];
  const row = rows[0];
  if (row === undefined) throw new Error(`registry_group_list has no group ${group}`);
  return row;
}

/** Polls registry_group_list until `accept` holds. */
export function untilGroup(client: Client, group: string, accept: (row: GroupRow) => boolean, timeoutMs = 8_000, what = `group ${group}`): Promise<GroupRow> {
  let last: GroupRow | undefined;
  return eventually(
    async () => {
      last = await groupRow(client, group);
      return accept(last) ? last : undefined;
    },
    timeoutMs,
    `${what} (last seen: ${JSON.stringify(last)})`,
  );
}
