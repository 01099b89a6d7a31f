/** One problem in a config file, positioned so editors and terminals can jump to it. */
export interface ConfigIssue {
  file: string;
  /** 1-based; absent only when the file could not be read at all. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Dotted location in the config (`providers.math.command`); empty for the document itself. */
  path: string;
  message: string;
}

/**
 * Everything wrong with a config file at once: fixing one error per run is slow, so loading
 * collects every issue before throwing.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const sorted = [...issues].sort(byPosition);
    super(formatIssues(sorted));
    this.issues = sorted;
  }

  /** One `file:line:col: path: message` line per issue, in file order. */
  format(): string {
    return formatIssues(this.issues);
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join("\n");
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}
