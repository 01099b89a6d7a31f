import type { ProviderView } from "../machines/provider-view.js";
import type { HealthSummary } from "../runtime/health-summary.js";

/** The compact text dashboard of registry_status: one line per provider, aligned. */
export function statusText(views: ProviderView[], health: HealthSummary, now = Date.now()): string {
  const header = `mcp-hangar: ${health.status} — ${health.providers} providers (${Object.entries(health.byState)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`)
    .join(", ")})`;
  const idWidth = Math.max(8, ...views.map((view) => view.id.length));
  const rows = views.map((view) => {
    const pid = view.pid === undefined ? "-" : String(view.pid);
    const uptime = view.uptimeS === undefined ? "-" : `${view.uptimeS}s`;
    const error = view.lastError ? `  last error: ${view.lastError.kind}: ${firstLine(view.lastError.message)}` : "";
    const breaker = view.breaker.state === "CLOSED" ? "" : `  breaker ${view.breaker.state}${until(view.breaker.retryAt, now)}`;
    const restart = view.recovery.nextRestartAt === undefined ? "" : `  restart${until(view.recovery.nextRestartAt, now)}`;
    return [
      view.id.padEnd(idWidth),
      view.state.padEnd(12),
      `pid ${pid}`.padEnd(11),
      `up ${uptime}`.padEnd(10),
      `tools ${view.tools.length}`.padEnd(9),
      `calls ${view.stats.calls}`.padEnd(11),
      `failures ${view.stats.failures}`,
    ].join(" ") + breaker + restart + error;
  });
  return [header, ...rows].join("\n");
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function until(at: number | undefined, now: number): string {
  return at === undefined ? "" : ` in ${Math.max(0, Math.ceil((at - now) / 1000))}s`;
}
