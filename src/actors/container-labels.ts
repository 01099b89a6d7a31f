import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { bootId, pidExists, processStartTime } from "./process-table.js";

/**
 * Labels on every container the hangar creates: which hangar instance owns it (id, pid, the
 * pid's start time and boot, the host) and which provider it runs. Start-up cleanup reads them
 * to remove what a dead hangar left behind — never what a live one (another desktop client's
 * hangar beside this one) still runs.
 */
export const LABEL = {
  owner: "dev.mcp-hangar.owner",
  ownerPid: "dev.mcp-hangar.owner-pid",
  ownerStart: "dev.mcp-hangar.owner-start",
  ownerBoot: "dev.mcp-hangar.owner-boot",
  ownerHost: "dev.mcp-hangar.owner-host",
  provider: "dev.mcp-hangar.provider",
} as const;

/** This hangar process, as its containers' labels name it. */
export interface OwnerIdentity {
  id: string;
  pid: number;
  /** Start time of the pid (field 22 of /proc/<pid>/stat); empty without /proc. */
  startTime: string;
  boot: string;
  host: string;
}

let self: OwnerIdentity | undefined;

/** This process's identity, made once. */
export function ownIdentity(): OwnerIdentity {
  self ??= {
    id: randomUUID(),
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? "",
    boot: bootId() ?? "",
    host: hostname(),
  };
  return self;
}

export function ownerLabels(providerId: string, owner: OwnerIdentity = ownIdentity()): Record<string, string> {
  return {
    [LABEL.owner]: owner.id,
    [LABEL.ownerPid]: String(owner.pid),
    [LABEL.ownerStart]: owner.startTime,
    [LABEL.ownerBoot]: owner.boot,
    [LABEL.ownerHost]: owner.host,
    [LABEL.provider]: providerId,
  };
}

export type OwnerStatus = "self" | "alive" | "dead" | "unknown";

/**
 * Whether the hangar that labelled a container still runs. A pid alive with another start time,
 * or any pid from an earlier boot, is a later process: the owner is dead. Another host's
 * containers (an engine shared over TCP) cannot be judged from here: `unknown`, left alone.
 */
export function ownerStatus(labels: Record<string, string>, me: OwnerIdentity = ownIdentity()): OwnerStatus {
  if (labels[LABEL.owner] === me.id) return "self";
  if (labels[LABEL.ownerHost] !== me.host) return "unknown";
  const pid = Number(labels[LABEL.ownerPid]);
  if (!Number.isInteger(pid) || pid <= 0) return "unknown";
  const boot = labels[LABEL.ownerBoot] ?? "";
  if (boot !== "" && me.boot !== "" && boot !== me.boot) return "dead";
  if (!pidExists(pid)) return "dead";
  const startTime = labels[LABEL.ownerStart] ?? "";
  const current = processStartTime(pid);
  if (startTime !== "" && current !== undefined && current !== startTime) return "dead";
  // A zombie hangar (exited, not yet reaped) runs nothing any more.
  if (current === undefined && startTime !== "") return "dead";
  return "alive";
}
