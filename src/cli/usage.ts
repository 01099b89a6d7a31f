export const USAGE = `mcp-hangar — one MCP server in front of many: starts providers lazily, watches them,
stops them when idle, and never leaves a process behind.

Usage:
  mcp-hangar [--config FILE] [--log-level LEVEL] [--log-format text|json] [--metrics-port P]
             [--inspect [PORT]] [--inspect-arguments]
  mcp-hangar --http [--host ADDR] [--port N] [--insecure] [--config FILE] ...
  mcp-hangar validate [FILE]   (default: the config serving would find, see --config)
  mcp-hangar audit [--provider ID] [--since 1h] [--correlation ID] [--type T] [--limit N] [--json]
  mcp-hangar audit verify
  mcp-hangar --version | --help

Options:
  -c, --config FILE      config file (default: ./hangar.yaml, then
                         $XDG_CONFIG_HOME/mcp-hangar/config.yaml)
      --log-level LEVEL  debug | info | warn | error (default info); logs go to stderr
      --log-format F     text | json (default text)
      --metrics-port P   serve Prometheus metrics at http://127.0.0.1:P/metrics (the path is
                         observability.metrics.endpoint; 0 = any free port; the URL is logged)
      --http             serve MCP over HTTP (streamable HTTP at /mcp, legacy SSE at
                         /sse + /messages, /health, /ready) instead of stdio
      --host ADDR        address to bind with --http (default: http.host, 127.0.0.1)
      --port N           port to bind with --http (default: http.port, 8000; 0 = any free
                         port); the bound URL is logged on stderr
      --insecure         allow a non-loopback --host without http.auth tokens
      --inspect [PORT]   watch every actor live in the Stately inspector: serves a page at
                         http://127.0.0.1:PORT/ (default 5678; 0 = any free port; the URL
                         is logged); secrets and tool arguments are stripped
      --inspect-arguments  show tool arguments in the inspector too (still redacted)

Audit (reads the audit trail: --db FILE, else the config's audit.path, else
$XDG_STATE_HOME/mcp-hangar/audit.db; see docs/audit.md):
      --provider ID      only this provider's events
      --since T          only events since T: a duration (90s, 30m, 1h, 7d) or a date
      --correlation ID   only the events of one call
      --type T           only this event type (ProviderStopped), or a prefix (Circuit*)
      --limit N          the newest N (default 200 for the table, all with --json)
      --json             JSON lines instead of a table
  audit verify           walks the hash chain; exit 1 and the first broken row if tampered
  -v, --version          print the version
  -h, --help             print this help

The hangar speaks MCP over stdio (stdout carries the protocol, stderr the logs), or over
HTTP with --http.`;

export const NO_CONFIG_HELP = `mcp-hangar: no config file found.
Looked for ./hangar.yaml and $XDG_CONFIG_HOME/mcp-hangar/config.yaml (or pass --config FILE).
A minimal config:

  providers:
    math:
      mode: subprocess
      command: [node, path/to/server.js]

See examples/hangar.yaml and the README's config reference.`;
