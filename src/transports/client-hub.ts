import type { ClientCapabilities, Notification } from "@modelcontextprotocol/sdk/types.js";
import type { ClientBridge, ProviderInitInfo } from "../actors/provider-requests.js";
import type { Logger } from "../observability/log.js";
import type { CallOrigin } from "../shared/call-origin.js";
import type { ClientSession } from "./client-session.js";

/** Sessions subscribed to one provider's resource URI. */
type Subscribers = Map<string, Set<ClientSession>>;

/**
 * The meeting point of provider connections and client sessions, one per hangar: which client
 * capabilities providers are offered, what each provider said at initialize, who gets a
 * provider's logging messages and resource updates, and who subscribed to what.
 */
export class ClientHub implements ClientBridge {
  private readonly sessions = new Set<ClientSession>();
  private readonly providerInfo = new Map<string, ProviderInitInfo>();
  /** providerId → uri → subscribed sessions. */
  private readonly subscriptions = new Map<string, Subscribers>();
  /**
   * Sessions that asked for log messages (logging/setLevel): they get those sent outside any call
   * of theirs — from the providers their principal reaches (undefined: every provider).
   */
  private readonly logListeners = new Map<ClientSession, ((providerId: string) => boolean) | undefined>();
  private readonly listChangeListeners = new Set<(providerId: string, method: string) => void>();
  /**
   * What providers are offered: once any client could answer sampling, elicitation or roots, a
   * provider started from then on hears that its client can. A provider's capabilities are fixed
   * at its initialize; a call from a client without the capability is refused at call time.
   */
  private readonly offered: ClientCapabilities = {};

  constructor(private readonly log?: Logger) {}

  add(session: ClientSession): void {
    this.sessions.add(session);
  }

  remove(session: ClientSession): void {
    session.markClosed();
    this.sessions.delete(session);
    this.logListeners.delete(session);
    for (const byUri of this.subscriptions.values()) for (const set of byUri.values()) set.delete(session);
  }

  /** A client finished initialize: its capabilities join what providers are offered. */
  clientInitialized(capabilities: ClientCapabilities | undefined): void {
    if (capabilities?.sampling !== undefined) this.offered.sampling ??= {};
    if (capabilities?.elicitation !== undefined) this.offered.elicitation = { ...this.offered.elicitation, ...capabilities.elicitation };
    if (capabilities?.roots !== undefined) this.offered.roots = { listChanged: true };
  }

  listenToLogs(session: ClientSession, reaches?: (providerId: string) => boolean): void {
    this.logListeners.set(session, reaches);
  }

  /** Called when a provider's resource or prompt list changed (method is the notification's). */
  onListChanged(listener: (providerId: string, method: string) => void): () => void {
    this.listChangeListeners.add(listener);
    return () => this.listChangeListeners.delete(listener);
  }

  info(providerId: string): ProviderInitInfo | undefined {
    return this.providerInfo.get(providerId);
  }

  /** Records a subscription; true when it is the first for this URI (the provider must be told). */
  subscribe(providerId: string, uri: string, session: ClientSession): boolean {
    let byUri = this.subscriptions.get(providerId);
    if (byUri === undefined) {
      byUri = new Map<string, Set<ClientSession>>();
      this.subscriptions.set(providerId, byUri);
    }
    let set = byUri.get(uri);
    if (set === undefined) {
      set = new Set<ClientSession>();
      byUri.set(uri, set);
    }
    const first = set.size === 0;
    set.add(session);
    return first;
  }

  /** Drops a subscription; true when no session is left on this URI (the provider may be told). */
  unsubscribe(providerId: string, uri: string, session: ClientSession): boolean {
    const set = this.subscriptions.get(providerId)?.get(uri);
    if (set === undefined) return false;
    set.delete(session);
    return set.size === 0;
  }

  // ---- ClientBridge: called by provider connections ----

  advertisedCapabilities(): ClientCapabilities {
    return { ...this.offered };
  }

  providerInitialized(providerId: string, info: ProviderInitInfo): void {
    this.providerInfo.set(providerId, info);
  }

  providerNotification(providerId: string, notification: Notification, inFlight: CallOrigin[]): void {
    switch (notification.method) {
      case "notifications/message":
        this.relayLog(providerId, notification, inFlight);
        return;
      case "notifications/resources/updated": {
        const uri = notification.params?.uri;
        const set = typeof uri === "string" ? this.subscriptions.get(providerId)?.get(uri) : undefined;
        for (const session of set ?? []) this.send(session, notification);
        return;
      }
      case "notifications/resources/list_changed":
      case "notifications/prompts/list_changed":
        for (const listener of this.listChangeListeners) listener(providerId, notification.method);
        for (const session of this.sessions) this.send(session, notification);
        return;
    }
  }

  /**
   * A provider's log message, tagged with its id (`logger` becomes `<provider>` or
   * `<provider>/<logger>`): during calls, to the calling clients on the calls' own streams;
   * otherwise to the clients that set a log level.
   */
  private relayLog(providerId: string, notification: Notification, inFlight: CallOrigin[]): void {
    const params = notification.params ?? {};
    const logger = typeof params.logger === "string" ? `${providerId}/${params.logger}` : providerId;
    const meta = params._meta ?? {};
    const tagged = { method: notification.method, params: { ...params, logger, _meta: { ...meta, "mcp-hangar/provider": providerId } } };
    if (inFlight.length > 0) {
      // One notification per calling session, on its most recent call's stream.
      const bySession = new Map<CallOrigin["session"], CallOrigin>();
      for (const origin of inFlight) bySession.set(origin.session, origin);
      for (const origin of bySession.values()) {
        origin.extra.sendNotification(tagged as Parameters<CallOrigin["extra"]["sendNotification"]>[0]).catch(this.onSendFailed);
      }
      return;
    }
    for (const [session, reaches] of this.logListeners) if (reaches === undefined || reaches(providerId)) this.send(session, tagged);
  }

  private send(session: ClientSession, notification: Notification): void {
    if (session.isOpen()) session.notify(notification).catch(this.onSendFailed);
  }

  private readonly onSendFailed = (error: unknown): void => {
    // The client went away; its session's close cleans up.
    this.log?.debug("forwarding a provider notification to a client failed", { error: String(error) });
  };
}
