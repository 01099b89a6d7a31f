/**
 * Reads samples out of Prometheus text exposition (what /metrics serves), for asserting metric
 * values in tests: `sample(text, "mcp_hangar_tool_calls_total", { provider: "a", outcome: "ok" })`.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name = "", labelText = "", value = ""] = match;
    const labels: Record<string, string> = {};
    for (const [, key = "", raw = ""] of labelText.matchAll(LABEL)) {
      labels[key] = raw.replace(/\\(["\\n])/g, (_, char: string) => (char === "n" ? "\n" : char));
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** Samples of `name` whose labels include every given label (others may be present). */
export function samples(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return parseSamples(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The value of the one sample of `name` with exactly these labels; undefined when there is none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const exact = parseSamples(text).filter(
    (candidate) =>
      candidate.name === name &&
      Object.keys(candidate.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => candidate.labels[key] === value),
  );
  if (exact.length > 1) throw new Error(`${exact.length} samples of ${name} with labels ${JSON.stringify(labels)}`);
  return exact[0]?.value;
}

/** Sum of every sample of `name` that has the given labels (e.g. all outcomes of one tool). */
export function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name, labels).reduce((sum, candidate) => sum + candidate.value, 0);
}
