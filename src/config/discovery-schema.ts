import * as z from "zod";
import { flag, numeric, wholeNumber } from "./schema-kit.js";

/**
 * The `discovery` section: where providers come from besides the config's own `providers`.
 * Each source is watched by an actor `discovery:<type>:<name>` (src/actors/discovery-*.ts); the
 * reconciler (src/discovery/reconciler.ts) applies what they report.
 */

export const DEFAULT_MAX_PROVIDERS_PER_SOURCE = 100;

// YAML reads `tier: 2` as a number; a label's value is always text. false would read as "absent",
// which the engine's filter cannot say, so it is refused rather than guessed at.
const dockerLabelValue = z.union([z.string(), z.number(), z.literal(true)], {
  error: 'a label value (text), or true (or "") for "the label is present, any value"',
});

/**
 * The engine's filter is `key=value` split at the first '=': a name holding one (or a space) could
 * not be matched. Checked here rather than as the record's key schema, whose issue names no reason.
 */
function checkDockerLabelNames(labels: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const names = Object.keys(labels);
  if (names.length === 0) ctx.addIssue({ code: "custom", message: "name at least one label, or leave labels out" });
  for (const name of names) {
    if (!/^[^=\s]+$/.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "a label name, without '=' or spaces" });
  }
}

/**
 * The `discovery` section's schema, and each source type's keys (for suggestions); built per
 * read of the config, like the rest of it (schema.ts, buildConfigSchemas).
 */
export function buildDiscoverySchema() {
  const commonSourceKeys = {
    /** Names the source in tools and events (`<type>:<name>`); default: the type. */
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, { error: "letters, digits, '_', '.', '-' (at most 64)" }).optional(),
    mode: z.enum(["additive", "authoritative"]).default("authoritative"),
    /** authoritative: how long a provider may be missing from the source before it is removed. */
    grace_s: numeric(z.number().nonnegative()).default(0),
    quarantine: flag(false),
    /** Overrides discovery.max_providers_per_source for this source. */
    max_providers: wholeNumber(z.number().positive()).optional(),
  };

  const filesystemSource = z.strictObject({
    type: z.literal("filesystem"),
    ...commonSourceKeys,
    path: z.string().min(1),
    pattern: z.string().min(1).default("*.yaml"),
  });

  const packagesSource = z.strictObject({
    type: z.literal("packages"),
    ...commonSourceKeys,
    /** node_modules folders to scan (relative to the config file). */
    paths: z.array(z.string().min(1)).min(1).default(["./node_modules"]),
  });

  const dockerSource = z.strictObject({
    type: z.literal("docker"),
    ...commonSourceKeys,
    /** The engine's socket (default: DOCKER_HOST when it is a unix socket, else /var/run/docker.sock). */
    socket: z.string().min(1).optional(),
    /** How remote providers are reached: the container's IP on its network, or the port published on the host. */
    address: z.enum(["container_ip", "published"]).default("container_ip"),
    /** Host to use for published ports (default 127.0.0.1). */
    published_host: z.string().min(1).default("127.0.0.1"),
    /**
     * Only containers carrying every one of these labels (label → value; true or "" for "present,
     * any value"), so hangars sharing an engine each take their own. The engine does the filtering.
     */
    labels: z.record(z.string(), dockerLabelValue).superRefine(checkDockerLabelNames).optional(),
  });

  const kubernetesSource = z.strictObject({
    type: z.literal("kubernetes"),
    ...commonSourceKeys,
    /** Namespaces watched; kube-system only when listed here. */
    namespaces: z.array(z.string().min(1)).min(1).default(["default"]),
    label_selector: z.string().min(1).optional(),
    /** A kubeconfig file (relative to the config file); default: in-cluster service account, else ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
  });

  const sourceKeys: Record<string, readonly string[]> = {
    filesystem: Object.keys(filesystemSource.shape),
    packages: Object.keys(packagesSource.shape),
    docker: Object.keys(dockerSource.shape),
    kubernetes: Object.keys(kubernetesSource.shape),
  };

  const sourceSchema = z.discriminatedUnion("type", [filesystemSource, packagesSource, dockerSource, kubernetesSource]);

  const schema = z.strictObject({
    max_providers_per_source: wholeNumber(z.number().positive()).default(DEFAULT_MAX_PROVIDERS_PER_SOURCE),
    sources: z
      .array(sourceSchema)
      .superRefine(
        (sources, ctx) => {
          const seen = new Map<string, number>();
          sources.forEach((source: unknown, index) => {
            if (typeof source !== "object" || source === null) return;
            const { type, name } = source as { type?: unknown; name?: unknown };
            if (typeof type !== "string") return;
            const id = `${type}:${typeof name === "string" ? name : type}`;
            const first = seen.get(id);
            if (first === undefined) seen.set(id, index);
            else {
              ctx.addIssue({
                code: "custom",
                path: [index, "name"],
                message: `source '${id}' is already defined by sources[${first}]; give each source of a type its own name`,
              });
            }
          });
        },
        { when: (payload) => Array.isArray(payload.value) },
      )
      .default([]),
  });
  return { schema, sourceKeys };
}

export type RawDiscovery = z.output<ReturnType<typeof buildDiscoverySchema>["schema"]>;
export type RawDiscoverySource = RawDiscovery["sources"][number];

/** Whether raw (unvalidated) config data names at least one discovery source. */
export function hasDiscoverySources(data: Record<string, unknown>): boolean {
  const discovery = data.discovery;
  if (typeof discovery !== "object" || discovery === null) return false;
  const sources = (discovery as { sources?: unknown }).sources;
  return Array.isArray(sources) && sources.length > 0;
}
