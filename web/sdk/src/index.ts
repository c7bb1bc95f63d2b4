// The Omniagent Web SDK: `await init(token, options)` connects a page to a live session of an agent
// (the session's Web PubSub socket, the live protocol), captures the microphone, plays the agent's
// voice and draws its avatar in `mountContainer`.
//
// This file holds the whole public surface (its declarations are the package's omniagent.d.ts):
// everything else is implementation, in the modules it imports.
import { startSession } from "./session";

/** How the companion is drawn: a face in a circle, the full frame, or the cut-out person. */
export type AvatarView = "round" | "rectangle" | "silhouette";

export interface InitOptions {
  /** Where the SDK draws (an element, or a CSS selector). Default: a fixed corner box on `document.body`. */
  mountContainer?: HTMLElement | string;
  /** Added to the SDK's root element (which always has the class `omniagent-root`). */
  className?: string;
  /** `view` overrides the token's view (the companion's default view). */
  avatarStyle?: { view?: AvatarView };
  /** Every server event, as received (`{event, data}`), and the SDK's own events (see {@link SdkEventName}). */
  onData?: (event: OmniagentEvent) => void;
  /** Once: the avatar's first frame is drawn and the session said `avatar_state_changed` `ready`. */
  onAvatarReady?: () => void;
  features?: {
    /** Shown over the avatar. Default: the token's disclaimer, else enabled, "This is an AI-generated avatar". */
    disclaimer?: { enabled?: boolean; text?: string };
    /**
     * The countdown shown on the server's `inactivity_warning`. `enabled: false` hides it. The server
     * decides when a session ends (the agent's inactivity settings): `timeoutSeconds` and
     * `countdownSeconds` are informational here (the countdown starts from the warning's
     * `seconds_remaining`, at most `countdownSeconds`).
     */
    inactiveTimeout?: { enabled?: boolean; timeoutSeconds?: number; countdownSeconds?: number };
  };
}

/** The envelope of every event: server events exactly as the socket delivered them, SDK events alike. */
export interface OmniagentEvent {
  event: string;
  // The live protocol's event data (see the platform's /public/asyncapi.json) or an SDK event's data.
  data: any;
}

/**
 * Events the SDK itself raises through `onData`, in the same envelope as the server's:
 *
 * - `error` `{code, message}` with `code`:
 *   `MicrophonePermissionDenied` (the user or the browser refused the microphone; the session goes on,
 *   usable by text), `MicrophoneUnavailable` (no device, or it failed), `ReconnectFailed` (the socket
 *   could not be reopened: the session is over for this page), `AvatarImageUnavailable` (the image did
 *   not load: initials are drawn instead), `SpeechAvatarFailed` (Azure's avatar did not start: the
 *   drawn avatar is used instead), `InvalidCommand` (sendCommand got something that is not `{type, data}`).
 *   (The server sends `error` events too, with its own codes.)
 * - `connection_lost` `{code, reason}`: the socket closed while the session lives.
 * - `reconnecting` `{attempt, maxAttempts, delayMs}`: before each new try, to the same URL.
 * - `reconnected` `{attempts}`: the socket is open again; the session goes on.
 * - `session_ended` `{reason, billed_minutes?}`: the server's event is passed on as received; the SDK
 *   raises one itself only when the session ends without it (`reason`: `connection_lost` after the
 *   last try, `token_expired`).
 * - `microphone_state_changed` `{state: "on" | "off" | "denied" | "unavailable"}`.
 */
export type SdkEventName =
  | "error"
  | "connection_lost"
  | "reconnecting"
  | "reconnected"
  | "session_ended"
  | "microphone_state_changed";

/** A live-protocol command: `send_message`, `send_audio`, `send_function_output`, `set_settings`, `end_session`. */
export interface OmniagentCommand {
  type: string;
  data?: Record<string, any>;
}

/** Read-only counters of what the SDK did (for tests, monitoring and latency measurements). */
export interface OmniagentStats {
  /** `audio_received` chunks decoded. */
  readonly chunksReceived: number;
  /** Chunks scheduled on the playback timeline. */
  readonly chunksPlayed: number;
  /** Scheduled chunks stopped before their end by a flush (`speech_started`: barge-in). */
  readonly chunksFlushed: number;
  /** Flushes that stopped at least one chunk. */
  readonly flushes: number;
  /** Chunks scheduled and not yet finished (0: the queue is empty). */
  readonly queuedChunks: number;
  /** Wall clock (ms since the epoch) at which the first chunk started to play; null before. */
  readonly firstPlayedAt: number | null;
  /** Wall clock of each start of playback from silence (one per spoken reply; the last 200). */
  readonly playbackStartedAt: readonly number[];
  /** `send_audio` commands sent. */
  readonly audioChunksSent: number;
  /** Wall clock of the first captured microphone sample; null before (or without a microphone). */
  readonly microphoneStartedAt: number | null;
  /** 16 kHz samples captured since `microphoneStartedAt`. */
  readonly microphoneSamples: number;
  readonly microphone: "on" | "off" | "denied" | "unavailable" | "pending";
  /** Socket (re)connections opened after the first. */
  readonly reconnects: number;
  readonly framesDrawn: number;
  /** Frames drawn with the avatar's mouth open, moved by the agent's voice as it plays. */
  readonly framesSpeaking: number;
  readonly view: AvatarView;
  /** `canvas` (drawn from the companion's image) or `speech-avatar` (Azure's video). */
  readonly renderer: "canvas" | "speech-avatar";
  readonly ended: boolean;
}

export interface OmniagentInstance {
  /** Send a live-protocol command; false when the socket is not open (e.g. while reconnecting). */
  sendCommand(command: OmniagentCommand): boolean;
  /** Stop everything: the microphone, audio, socket (which ends the session), animation and the SDK's DOM. */
  destroy(): void;
  /** The session's id (from the token). */
  readonly sessionId: string;
  /** A fresh snapshot of the counters each time it is read. */
  readonly stats: OmniagentStats;
}

/** The token of `POST /public/agents/{id}/connections` (base64 of JSON); `webrtc` tokens carry the avatar. */
export interface ConnectionToken {
  url: string;
  authToken?: string;
  expiresAt?: string;
  channelType?: string;
  sessionId?: string;
  connection?: { id: string };
  modality?: "audio" | "text";
  companion?: {
    id?: string;
    name?: string;
    avatarUrl?: string | null;
    silhouetteUrl?: string | null;
    defaultView?: AvatarView;
  } | null;
  view?: AvatarView;
  videoPolicy?: "required" | "deferred";
  useGreenVideo?: boolean;
  disclaimer?: { enabled?: boolean; text?: string } | null;
  inactivity?: { enabled?: boolean; timeoutSeconds?: number; countdownSeconds?: number } | null;
  speechAvatar?: SpeechAvatarCredentials | null;
}

export interface SpeechAvatarCredentials {
  region: string;
  endpoint: string;
  authToken: string;
  iceServers: { urls: string[] | string; username?: string; credential?: string }[];
  character: string;
  style: string;
  voice: string;
}

export const DEFAULT_DISCLAIMER = "This is an AI-generated avatar";
export const VERSION = "1.0.0";

/**
 * Connect to the session the token names. Resolves once the socket is open (the microphone starts
 * afterwards: a permission prompt never holds it up); rejects on a token that cannot be read or a
 * socket that does not open.
 */
export async function init(token: string, options: InitOptions = {}): Promise<OmniagentInstance> {
  return startSession(token, options);
}
