import { describe, expect, it } from "vitest";
import { and, createMachine, not, setup, type AnyStateMachine, type AnyStateNode } from "xstate";
import { hangarMachine } from "../../src/machines/hangar.js";
import { providerMachine } from "../../src/machines/provider.js";
import { chartToMermaid, chartTransitionTable, chartTransitions, shortEventLabel } from "../../src/tools/chart-diagram.js";
import { CHARTS, renderVisualizations, staleVisualizations } from "../../src/tools/visualize.js";

/** Every transition description of the chart, read straight from its state nodes. */
function transitionDescriptions(node: AnyStateNode): string[] {
  const own = [...[...node.transitions.values()].flat(), ...(node.always ?? [])]
    .map((t) => t.description)
    .filter((d): d is string => d !== undefined);
  return [...own, ...Object.values(node.states).flatMap(transitionDescriptions)];
}

function transitionCount(node: AnyStateNode): number {
  const own = [...node.transitions.values()].flat().length + (node.always?.length ?? 0);
  return own + Object.values(node.states).reduce((sum, child) => sum + transitionCount(child), 0);
}

describe("chart diagrams", () => {
  it("the provider diagram shows every state, nested, with its initial states and timers", () => {
    const mermaid = chartToMermaid(providerMachine);
    expect(mermaid.startsWith("stateDiagram-v2\n")).toBe(true);
    for (const state of ["COLD", "INITIALIZING", "READY", "DEGRADED", "RECOVERING", "DEAD", "CLOSED", "OPEN", "HALF_OPEN"]) {
      expect(mermaid).toMatch(new RegExp(`^\\s*${state}$`, "m"));
    }
    expect(mermaid).toMatch(/^ {2}state lifecycle \{$/m);
    expect(mermaid).toMatch(/^ {4}lifecycle_restore --> COLD : always$/m);
    expect(mermaid).toMatch(/^ {4}state running \{$/m);
    expect(mermaid).toMatch(/^ {6}\[\*\] --> INITIALIZING$/m);
    expect(mermaid).toContain("note right of running : invokes connection");
    expect(mermaid).toContain("COLD --> running : INVOKE");
    expect(mermaid).toContain("running --> RECOVERING : CONNECTION.FAILED [needsRecovery]");
    expect(mermaid).toContain("INITIALIZING --> COLD : after startupTimeout");
    expect(mermaid).toContain("serving --> COLD : IDLE.CHECK [idleForFullPeriod]");
    expect(mermaid).toContain("READY --> DEGRADED : HEALTH.FAILED");
    expect(mermaid).toContain("OPEN --> HALF_OPEN : after breakerReset");
    expect(mermaid).not.toContain("xstate.after");
    // Actions-only transitions are left off the diagram (and said to be).
    expect(mermaid).not.toMatch(/DEAD --> DEAD/);
    expect(mermaid).toContain("not drawn");
  });

  it("the provider transition table lists every transition and every description of the chart", () => {
    const table = chartTransitionTable(providerMachine);
    const descriptions = transitionDescriptions(providerMachine.root);
    expect(descriptions.length).toBeGreaterThan(20);
    for (const description of descriptions) expect(table).toContain(description);
    const rows = table.trimEnd().split("\n").slice(2);
    expect(rows).toHaveLength(transitionCount(providerMachine.root));
    expect(table).toContain("| `lifecycle.running.serving` | `IDLE.CHECK` | `idleForFullPeriod` | `lifecycle.COLD` |");
    expect(table).toContain("| `lifecycle.DEAD` | `STOP` |  | _(stays; actions only)_ | `replyAlreadyStopped` | Nothing runs. |");
  });

  it("the hangar diagram ends in its final state", () => {
    const mermaid = chartToMermaid(hangarMachine);
    expect(mermaid).toContain("[*] --> running");
    expect(mermaid).toContain("stopped --> [*]");
    expect(mermaid).toContain("running --> stopped : SHUTDOWN");
    const table = chartTransitionTable(hangarMachine);
    for (const description of transitionDescriptions(hangarMachine.root)) expect(table).toContain(description);
  });

  it("handles parallel states, numeric delays, combined guards and repeated keys", () => {
    const machine: AnyStateMachine = setup({
      guards: { ok: () => true, ready: () => true },
    }).createMachine({
      id: "demo",
      initial: "on",
      states: {
        on: {
          type: "parallel",
          on: { OFF: "off" },
          states: {
            a: { initial: "idle", states: { idle: { after: { 500: "busy" } }, busy: {} } },
            b: {
              initial: "idle",
              states: { idle: { on: { GO: { target: "done", guard: and(["ok", not("ready")]) } } }, done: { type: "final" } },
            },
          },
        },
        off: { type: "final" },
      },
    });
    const mermaid = chartToMermaid(machine, { direction: "LR" });
    expect(mermaid).toContain("  direction LR");
    expect(mermaid).toMatch(/^ {4}--$/m);
    // Keys that repeat get path ids, labelled with the key.
    expect(mermaid).toContain('state "idle" as on_a_idle');
    expect(mermaid).toContain("on_a_idle --> busy : after 500ms");
    expect(mermaid).toContain("on_b_idle --> done : GO [and(ok, !ready)]");
    expect(mermaid).toContain("on --> off : OFF");
    expect(mermaid).toContain("off --> [*]");
    const events = chartTransitions(machine).map((t) => t.event);
    expect(events).toEqual(["OFF", "after 500ms", "GO"]);
  });

  it("shortens xstate's internal event types", () => {
    expect(shortEventLabel("xstate.after.idleTtl.provider.running.READY", "provider.running.READY")).toBe("after idleTtl");
    expect(shortEventLabel("xstate.after.idleTtl.provider.running.READY")).toBe("after idleTtl");
    expect(shortEventLabel("xstate.done.actor.fetch")).toBe("done fetch");
    expect(shortEventLabel("xstate.error.actor.fetch")).toBe("error fetch");
    expect(shortEventLabel("CALL.DONE")).toBe("CALL.DONE");
  });
});

interface LooseNode {
  states?: Record<string, LooseNode | undefined>;
  on?: Record<string, unknown>;
}

/** A copy of the provider chart with one transition nobody drew: COLD --PANIC--> DEAD. */
function providerMachineWithExtraTransition(): AnyStateMachine {
  const config = providerMachine.config as unknown as LooseNode;
  const lifecycle = config.states?.lifecycle;
  const cold = lifecycle?.states?.COLD;
  if (!lifecycle || !cold) throw new Error("the provider chart has no lifecycle.COLD");
  const changed: LooseNode = {
    ...config,
    states: {
      ...config.states,
      lifecycle: {
        ...lifecycle,
        states: { ...lifecycle.states, COLD: { ...cold, on: { ...cold.on, PANIC: { target: "DEAD", description: "A transition nobody drew." } } } },
      },
    },
  };
  return createMachine(changed as never, providerMachine.implementations as never);
}

describe("visualizations/", () => {
  it("is up to date with the charts", () => {
    expect(staleVisualizations(renderVisualizations()), "out of date with the charts: run npm run visualize").toEqual([]);
  });

  it("reports a deliberate change to a chart (in a test copy) as a difference", () => {
    const changed = providerMachineWithExtraTransition();
    expect(chartToMermaid(changed)).toContain("COLD --> DEAD : PANIC");
    const charts = CHARTS.map((page) => (page.machine === providerMachine ? { ...page, machine: changed } : page));
    expect(staleVisualizations(renderVisualizations(charts))).toEqual(["provider.md"]);
    // And the unchanged copy reports nothing: the comparison sees the change, not the copying.
    const copy = CHARTS.map((page) => ({ ...page, machine: createMachine(page.machine.config as never, page.machine.implementations as never) }));
    expect(staleVisualizations(renderVisualizations(copy))).toEqual([]);
  });
});
