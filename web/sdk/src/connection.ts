// The session's socket (Web PubSub, the live protocol), reopened to the same URL with backoff when it
// closes while the session lives: the platform takes one live socket per session, so a try made before
// it has seen the old socket close is refused (409) and a later try is taken. A webrtc session also
// sends the socket's holder a reconnect key (`reconnect_key`, new on every connection): a try with it
// takes the session back at once, even while the old socket still looks open to the platform.
import type { OmniagentEvent } from "./index";

export const MAX_RECONNECT_ATTEMPTS = 5;
const FIRST_DELAY_MS = 400;
const MAX_DELAY_MS = 8000;

export interface ConnectionHandlers {
  onEvent(event: OmniagentEvent): void;
  /** The SDK's own events (connection_lost, reconnecting, reconnected, error). */
  onSdkEvent(event: OmniagentEvent): void;
  /** Whether a closed socket should be reopened (the session lives, the token is still valid). */
  shouldReconnect(): boolean;
  /** Every try failed, or reconnecting was not allowed: the session is over for this page. */
  onGaveUp(reason: "connection_lost" | "token_expired"): void;
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private closedByUs = false;
  private retryTimer: number | undefined;
  private reconnectKey = "";
  reconnects = 0;

  constructor(
    private readonly url: string,
    private readonly handlers: ConnectionHandlers,
  ) {}

  /** Resolves when the first socket opens; rejects if it closes first. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (code: number) => reject(new Error(`Omniagent: the session socket did not open (${code}).`));
      this.connect(resolve, failed);
    });
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Close for good (the session's end, or destroy): no reconnect. */
  close(): void {
    this.closedByUs = true;
    window.clearTimeout(this.retryTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, "client closed");
    this.socket = null;
  }

  /** The raw socket, for tests that cut the connection (documented as unsupported for apps). */
  get rawSocket(): WebSocket | null {
    return this.socket;
  }

  /** A new socket to the URL: `opened` once it is open, `failed` if it closes before; a socket that
   * closes after opening is a lost connection (unless we closed it). */
  private connect(opened: () => void, failed: (code: number) => void): void {
    const url = this.reconnectKey ? withReconnectKey(this.url, this.reconnectKey) : this.url;
    const socket = new WebSocket(url);
    this.socket = socket; // the current one, even while it opens: close() must reach it
    let open = false;
    socket.addEventListener("open", () => {
      open = true;
      opened();
    });
    socket.addEventListener("message", (message) => {
      if (this.socket === socket) this.receive(message);
    });
    socket.addEventListener("close", (closed) => {
      if (this.closedByUs) return;
      if (!open) failed(closed.code);
      else if (this.socket === socket) this.lost(closed.code, closed.reason);
    });
  }

  private receive(message: MessageEvent): void {
    if (typeof message.data !== "string") return; // the live protocol is JSON text
    let frame: unknown;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof frame === "object" && frame !== null && typeof (frame as OmniagentEvent).event === "string") {
      const key = reconnectKeyOf(frame as OmniagentEvent);
      if (key !== null) {
        this.reconnectKey = key; // the connection's own business: not an event for the page
        return;
      }
      this.handlers.onEvent(frame as OmniagentEvent);
    }
  }

  private lost(code: number, reason: string): void {
    this.socket = null;
    if (!this.handlers.shouldReconnect()) {
      this.handlers.onGaveUp("token_expired");
      return;
    }
    this.handlers.onSdkEvent({ event: "connection_lost", data: { code, reason } });
    this.retry(1);
  }

  private retry(attempt: number): void {
    if (this.closedByUs) return;
    if (attempt > MAX_RECONNECT_ATTEMPTS || !this.handlers.shouldReconnect()) {
      this.handlers.onSdkEvent({
        event: "error",
        data: {
          code: "ReconnectFailed",
          message: `The session's connection could not be reopened after ${attempt - 1} tries.`,
        },
      });
      this.handlers.onGaveUp("connection_lost");
      return;
    }
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - 1));
    const delayMs = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter: many pages, one outage
    this.handlers.onSdkEvent({
      event: "reconnecting",
      data: { attempt, maxAttempts: MAX_RECONNECT_ATTEMPTS, delayMs },
    });
    this.retryTimer = window.setTimeout(() => {
      if (this.closedByUs) return;
      this.connect(
        () => {
          this.reconnects += 1;
          this.handlers.onSdkEvent({ event: "reconnected", data: { attempts: attempt } });
        },
        () => this.retry(attempt + 1),
      );
    }, delayMs);
  }
}

function reconnectKeyOf(event: OmniagentEvent): string | null {
  if (event.event !== "reconnect_key") return null;
  const key = (event.data as { key?: unknown } | undefined)?.key;
  return typeof key === "string" ? key : null;
}

function withReconnectKey(url: string, key: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("reconnect_key", key);
  return parsed.toString();
}
