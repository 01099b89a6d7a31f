/**
 * The page the relay serves at `/`: the Stately inspector (https://stately.ai/inspect) in an
 * iframe, fed by a WebSocket to this relay. It is the bridge page of `@statelyai/inspect/server`
 * with three changes: it connects back to the host it was loaded from (never a fixed
 * `localhost`), it posts only to the inspector's origin, and it reconnects when the relay drops
 * it (the relay replays the current actors on every connection).
 *
 * The browser loads the inspector UI from stately.ai; the hangar itself talks to no one but
 * this page, over loopback.
 */
export const INSPECTOR_UI_URL = "https://stately.ai/inspect";

export function inspectorPage(): string {
  const uiUrl = JSON.stringify(INSPECTOR_UI_URL);
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>mcp-hangar — Stately inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; font: 13px system-ui, sans-serif; }
    body { display: flex; flex-direction: column; }
    #status { padding: 4px 8px; background: #222; color: #ddd; }
    iframe { flex: 1; width: 100%; border: none; }
  </style>
</head>
<body>
  <div id="status">mcp-hangar: connecting…</div>
  <iframe id="inspector" src=${uiUrl}></iframe>
  <script>
    const UI_ORIGIN = new URL(${uiUrl}).origin;
    const MAX_BUFFER = 5000;
    const iframe = document.getElementById("inspector");
    const status = document.getElementById("status");
    const buffer = [];
    let uiReady = false;

    function toUi(message) {
      if (uiReady) iframe.contentWindow.postMessage(message, UI_ORIGIN);
      else if (buffer.push(message) > MAX_BUFFER) buffer.shift();
    }

    window.addEventListener("message", (event) => {
      if (event.origin !== UI_ORIGIN || !event.data || event.data.type !== "@statelyai.connected") return;
      uiReady = true;
      for (const message of buffer.splice(0)) iframe.contentWindow.postMessage(message, UI_ORIGIN);
    });

    function connect() {
      const ws = new WebSocket("ws://" + location.host + "/");
      ws.onopen = () => { status.textContent = "mcp-hangar: live"; };
      ws.onmessage = (event) => { toUi(JSON.parse(event.data)); };
      ws.onclose = (event) => {
        if (event.code === 1001) { status.textContent = "mcp-hangar: the hangar has shut down"; return; }
        status.textContent = "mcp-hangar: disconnected, retrying…";
        setTimeout(connect, 1000);
      };
    }
    connect();
  </script>
</body>
</html>
`;
}
