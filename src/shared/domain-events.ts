import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { FailureKind } from "./failure-kind.js";

/**
 * The hangar's domain events: what the charts announce with XState `emit`. Metrics, traces,
 * logs and the audit trail observe this one channel (see observability/domain-event-bus.ts);
 * none of them drives the system.
 */
export type ProviderStateName = "COLD" | "INITIALIZING" | "READY" | "DEGRADED" | "RECOVERING" | "DEAD";

export type BreakerStateName = "CLOSED" | "OPEN" | "HALF_OPEN";

/** A group's state: HEALTHY (≥ min_healthy members in rotation), PARTIAL (some, fewer), INACTIVE (none). */
export type GroupStateName = "HEALTHY" | "PARTIAL" | "INACTIVE";

export type StopReason = "idle" | "manual" | "shutdown" | "crash" | "config" | "start_failed" | "gave_up";

export type DomainEvent =
  | { type: "ProviderStateChanged"; providerId: string; from: ProviderStateName; to: ProviderStateName; reason: string }
  | { type: "ProviderStarted"; providerId: string; pid: number | undefined; toolCount: number; durationMs: number }
  | {
      type: "ProviderStopped";
      providerId: string;
      reason: StopReason;
      message?: string;
      /** What went wrong, for a crash or a failed start (the provider's last error). */
      kind?: Exclude<FailureKind, "ok" | "tool_error">;
    }
  | { type: "ProviderToolsChanged"; providerId: string; toolCount: number }
  | { type: "HealthCheckPassed"; providerId: string; method: "ping" | "tools/list"; durationMs: number }
  | { type: "HealthCheckFailed"; providerId: string; message: string; consecutiveFailures: number }
  | { type: "CircuitOpened"; providerId: string; failures: number; retryAt: number }
  | { type: "CircuitHalfOpened"; providerId: string }
  | { type: "CircuitClosed"; providerId: string }
  | { type: "RecoveryScheduled"; providerId: string; attempt: number; delayMs: number; at: number }
  | { type: "ProviderRestarted"; providerId: string; restartCount: number }
  | { type: "ProviderDied"; providerId: string; reason: string }
  // Membership: providers added, replaced (spec changed: drained, then a fresh actor) and removed at run time.
  | { type: "ProviderAdded"; providerId: string }
  | { type: "ProviderReplaced"; providerId: string }
  | { type: "ProviderRemoved"; providerId: string }
  // Discovery (src/discovery): what each source reported and what the reconciler did with it.
  | { type: "DiscoveryProviderAdded"; providerId: string; source: string }
  | { type: "DiscoveryProviderUpdated"; providerId: string; source: string }
  | { type: "DiscoveryProviderRemoved"; providerId: string; source: string; reason: string }
  | { type: "DiscoveryProviderQuarantined"; providerId: string; source: string }
  | { type: "DiscoveryProviderApproved"; providerId: string; source: string }
  | { type: "DiscoveryConflict"; providerId: string; winner: string; loser: string }
  | { type: "DiscoverySourceSynced"; source: string; providerCount: number }
  | { type: "DiscoverySourceFailed"; source: string; message: string }
  // Hot reload of the main config (SIGHUP or watch_config).
  | { type: "ConfigReloaded"; file: string; added: string[]; changed: string[]; removed: string[]; unchanged: number }
  | { type: "ConfigReloadRejected"; file: string; message: string }
  | {
      type: "ToolInvocationRequested";
      providerId: string;
      tool: string;
      correlationId: string;
      principal?: string;
      /**
       * The call's arguments, by reference (never copied on the hot path). Observers that let data
       * leave the process must not pass it on as is: the audit trail stores a size and keyed hash.
       */
      arguments?: Record<string, unknown>;
    }
  | {
      type: "ToolInvocationCompleted";
      providerId: string;
      tool: string;
      correlationId: string;
      /** Who asked (the authenticated principal's name), when known. For logs and audit, never a metrics label. */
      principal?: string;
      kind: "ok" | "tool_error";
      durationMs: number;
      /** The provider's result, by reference (absent for a JSON-RPC error answer); as sensitive as the arguments. */
      toolResult?: CallToolResult;
    }
  | {
      type: "ToolInvocationFailed";
      providerId: string;
      tool: string;
      correlationId: string;
      principal?: string;
      kind: Exclude<FailureKind, "ok" | "tool_error">;
      durationMs?: number;
      message?: string;
      /** Why the hangar refused the call (kind `rejected` by a security control): see security/security-controls.ts. */
      refusal?: RefusalReason;
      /**
       * A refused registry tool call's arguments, by reference (see ToolInvocationRequested's: the
       * audit trail captures them per audit.capture). A call that reached its provider has them on its request.
       */
      arguments?: Record<string, unknown>;
      /**
       * Where the call failed, when it never reached the provider: `queued` (it waited for a start
       * that failed, or a stop), `refused` (breaker OPEN, RECOVERING, DEAD). Absent: the call was
       * sent to the provider (and counts as a call in its stats).
       */
      stage?: "queued" | "refused";
    }
  | {
      /** The config file was read again (hot reload): which providers came, went or changed. */
      type: "ConfigReloaded";
      added: string[];
      removed: string[];
      changed: string[];
    }
  | GroupDomainEvent;

/** What groups and their sagas announce (src/machines/group.ts, sagas/failover.ts, sagas/rebalance.ts). */
export type GroupDomainEvent =
  | { type: "GroupStateChanged"; groupId: string; from: GroupStateName; to: GroupStateName; inRotation: number; members: number }
  | { type: "GroupMemberChanged"; groupId: string; memberId: string; inRotation: boolean; state: ProviderStateName; breaker: BreakerStateName }
  | {
      type: "GroupCallRetried";
      groupId: string;
      tool: string;
      correlationId: string;
      principal?: string;
      /** The member whose attempt failed, and how. */
      failedMember: string;
      kind: Exclude<FailureKind, "ok" | "tool_error">;
      nextMember: string;
    }
  | { type: "GroupFailover"; groupId: string; from: string | undefined; to: string | undefined }
  | { type: "GroupFailback"; groupId: string; from: string | undefined; to: string }
  | { type: "GroupRebalanced"; groupId: string; reason: "manual" | "members"; added: string[]; removed: string[]; inRotation: string[] }
  // Run-time group membership (src/machines/group-membership.ts): groups made, replaced and removed by the supervisor.
  | { type: "GroupAdded"; groupId: string; auto: boolean; members: string[] }
  | { type: "GroupReplaced"; groupId: string; members: string[] }
  | { type: "GroupRemoved"; groupId: string }
  /** A provider asked to join a group whose id is a provider's: it runs on its own, the conflict is reported. */
  | { type: "GroupJoinRefused"; groupId: string; providerId: string; message: string };

/** Why a security control refused a call before it reached its provider. */
export type RefusalReason =
  | "rate_limited_provider"
  | "rate_limited_tool"
  | "rate_limited_principal"
  | "invalid_arguments"
  | "not_allowed";

export type DomainEventType = DomainEvent["type"];

/** A domain event as observers receive it: stamped once, in order, by the bus. */
export type StampedDomainEvent = DomainEvent & {
  seq: number;
  /** Epoch milliseconds (a number: formatting a date per event would cost the hot path; observers format). */
  timestamp: number;
  systemId: string;
};
