import { Gauge, type Registry } from "prom-client";

/** What a gauge read at scrape time is declared with; `label` names the series' id (provider, group). */
export interface ScrapedGaugeSpec {
  name: string;
  help: string;
  label: string;
  registers: Registry[];
  /** The ids to report now (read at every scrape: providers and groups come and go). */
  ids: () => Iterable<string>;
}

/**
 * A gauge read from the runtime at scrape time, one series per id: the runtime's views are the
 * truth, and nothing has to be kept in step. `valueOf` is undefined for an id without a view.
 */
export function scrapedGauge(spec: ScrapedGaugeSpec, valueOf: (id: string) => number | undefined): Gauge {
  const gauge: Gauge = new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: [spec.label],
    registers: spec.registers,
    collect() {
      // Ids come and go at run time (discovery, reload): a removed one's series go with it.
      gauge.reset();
      for (const id of spec.ids()) {
        const value = valueOf(id);
        if (value !== undefined) gauge.labels(id).set(value);
      }
    },
  });
  return gauge;
}

/** A state gauge read at scrape time: per id, 1 for its current state and 0 for the others. */
export function scrapedStateGauge<State extends string>(
  spec: ScrapedGaugeSpec,
  states: readonly State[],
  stateOf: (id: string) => State | undefined,
): Gauge {
  const gauge: Gauge = new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: [spec.label, "state"],
    registers: spec.registers,
    collect() {
      gauge.reset();
      for (const id of spec.ids()) {
        const current = stateOf(id);
        if (current === undefined) continue;
        for (const state of states) gauge.labels(id, state).set(current === state ? 1 : 0);
      }
    },
  });
  return gauge;
}
