// The Web SDK as any site uses it: the ES module the app serves at /sdk/v1/omniagent.js, loaded at run
// time (not bundled), so the Playground runs exactly the SDK customers embed. The types below are its
// published entry point: `await init(token, options)` -> `{sendCommand, destroy}`.

export type AvatarView = "round" | "rectangle" | "silhouette";

/** A server event of the live protocol (or one of the SDK's own: microphone, connection, ending). */
export interface SessionEvent {
  event: string;
  data?: unknown;
}

export interface Command {
  type: string;
  data?: Record<string, unknown>;
}

export interface Features {
  disclaimer?: { enabled: boolean; text?: string };
  inactiveTimeout?: { enabled: boolean; timeoutSeconds?: number; countdownSeconds?: number };
}

export interface InitOptions {
  mountContainer: HTMLElement;
  className?: string;
  avatarStyle?: { view: AvatarView };
  onData?: (event: SessionEvent) => void;
  onAvatarReady?: () => void;
  features?: Features;
}

/** The SDK's counters (a fresh snapshot per read); the Playground reads when audio started to play. */
export interface SdkStats {
  readonly chunksReceived: number;
  readonly chunksPlayed: number;
  readonly firstPlayedAt: number | null;
  /** Wall clock (ms since the epoch) of each start of playback from silence: one per spoken reply. */
  readonly playbackStartedAt: readonly number[];
  readonly microphone: string;
}

export interface SdkInstance {
  /** False when the socket is not open (e.g. while the SDK reconnects). */
  sendCommand(command: Command): boolean;
  destroy(): void;
  readonly sessionId?: string;
  readonly stats?: SdkStats;
}

export type Init = (token: string, options: InitOptions) => Promise<SdkInstance>;

export const SDK_URL = "/sdk/v1/omniagent.js";

let loaded: Promise<Init> | null = null;

export function loadSdk(): Promise<Init> {
  loaded ??= import(/* @vite-ignore */ SDK_URL).then((module: { init?: unknown }) => {
    if (typeof module.init !== "function") throw new Error(`${SDK_URL} exports no init()`);
    return module.init as Init;
  });
  loaded.catch(() => (loaded = null)); // a failed load may be retried (the app was still building)
  return loaded;
}

/** What the Playground reads from a webrtc connection token (base64 of UTF-8 JSON). */
export interface ConnectionToken {
  sessionId?: string;
  modality?: "audio" | "text";
  view?: AvatarView;
  companion?: { id?: string; name?: string };
}

export function readConnectionToken(token: string): ConnectionToken {
  try {
    const bytes = Uint8Array.from(atob(token), (character) => character.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as ConnectionToken;
  } catch {
    return {};
  }
}
