import type { StateValue } from "xstate";
import { providerMachine } from "../machines/provider.js";
import { chartToMermaid, stateValuePaths } from "./chart-diagram.js";

/**
 * A provider's chart as Mermaid text with the states it is in now highlighted — what
 * `registry_status { chart: "<provider>" }` returns, so a client can show a picture.
 */
export function providerChartMermaid(providerId: string, value: StateValue): string {
  const active = stateValuePaths(value);
  const mermaid = chartToMermaid(providerMachine, { active });
  const states = active.map((path) => path.split(".").at(-1)).join(", ");
  // A comment line after the header: Mermaid ignores it, people see whose chart this is.
  const [header, ...rest] = mermaid.split("\n");
  return [header, `  %% provider "${providerId.replace(/[^\w-]/g, "_")}" is now in: ${states}`, ...rest].join("\n");
}
