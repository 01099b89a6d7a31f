export const USAGE = `mcp-hangar — one MCP server in front of many: starts providers lazily, watches them,
stops them when idle, and never leaves a process behind.

Usage:
  mcp-hangar [--config FILE] [--log-level LEVEL] [--log-format text|json]
  mcp-hangar validate FILE
  mcp-hangar --version | --help

Options:
  -c, --config FILE      config file (default: ./hangar.yaml, then
                         $XDG_CONFIG_HOME/mcp-hangar/config.yaml)
      --log-level LEVEL  debug | info | warn | error (default info); logs go to stderr
      --log-format F     text | json (default text)
  -v, --version          print the version
  -h, --help             print this help

The hangar speaks MCP over stdio: stdout carries the protocol, stderr the logs.`;

export const NO_CONFIG_HELP = `mcp-hangar: no config file found.
Looked for ./hangar.yaml and $XDG_CONFIG_HOME/mcp-hangar/config.yaml (or pass --config FILE).
A minimal config:

  providers:
    math:
      mode: subprocess
      command: [node, path/to/server.js]

See examples/hangar.yaml and the README's config reference.`;
