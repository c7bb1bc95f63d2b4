// One `init`: the socket, the microphone, playback, the avatar and the overlays, wired to the live
// protocol. Server events go to `onData` as received and drive the page: `audio_received` plays,
// `speech_started` flushes playback, `inactivity_warning` shows the countdown, `session_ended` ends.
import { AvatarCanvas, loadImage } from "./avatar";
import { LiveConnection } from "./connection";
import {
  DEFAULT_DISCLAIMER,
  type AvatarView,
  type ConnectionToken,
  type InitOptions,
  type OmniagentCommand,
  type OmniagentEvent,
  type OmniagentInstance,
  type OmniagentStats,
} from "./index";
import { Microphone, pcmToBase64 } from "./microphone";
import { Overlay, resolveContainer } from "./overlay";
import { Player } from "./playback";
import type { SpeechAvatar } from "./speech-avatar";
import { decodeToken, expired, sessionIdOf, viewOf } from "./token";

// Where this file was loaded from: the Speech avatar module sits beside it. The standalone script
// learns it from document.currentScript, which is only set while it first runs (so: read at load
// time); the ES module from import.meta.url (document.currentScript is null in modules).
const SDK_BASE = sdkBase();

function sdkBase(): string {
  const script = typeof document === "undefined" ? null : document.currentScript;
  if (script instanceof HTMLScriptElement && script.src) return new URL(".", script.src).href;
  // Through a variable: Vite rewrites `new URL(literal, import.meta.url)` into a bundled asset.
  const moduleUrl = import.meta.url;
  return new URL(".", moduleUrl).href;
}

type MicrophoneState = OmniagentStats["microphone"];

class Session implements OmniagentInstance {
  readonly sessionId: string;
  private readonly view: AvatarView;
  private readonly overlay: Overlay;
  private readonly audio: AudioContext;
  private readonly player: Player;
  private readonly connection: LiveConnection;
  private readonly avatar: AvatarCanvas;
  private microphone: Microphone | null = null;
  private microphoneState: MicrophoneState = "off";
  private speechAvatar: SpeechAvatar | null = null;
  private audioChunksSent = 0;
  private serverReady = false;
  private avatarDrawn = false;
  private avatarReadyFired = false;
  private ended = false;
  private destroyed = false;
  private readonly resumeOnGesture = () => void this.audio.resume();

  constructor(
    private readonly token: ConnectionToken,
    private readonly options: InitOptions,
  ) {
    this.sessionId = sessionIdOf(token);
    this.view = viewOf(token, options.avatarStyle?.view);
    const { container, floating } = resolveContainer(options.mountContainer);
    this.overlay = new Overlay(container, floating, this.view, options.className);
    this.audio = new AudioContext({ latencyHint: "interactive" });
    // Pages may create the SDK before any click; the first gesture unlocks audio where autoplay is off.
    document.addEventListener("pointerdown", this.resumeOnGesture, { capture: true });
    document.addEventListener("keydown", this.resumeOnGesture, { capture: true });
    this.player = new Player(this.audio);
    this.avatar = new AvatarCanvas(this.view, token.companion?.name ?? "Agent", () => this.player.level());
    this.overlay.setStage(this.avatar.canvas);
    this.showDisclaimer();
    this.connection = new LiveConnection(token.url, {
      onEvent: (event) => this.onServerEvent(event),
      onSdkEvent: (event) => this.onSdkEvent(event),
      shouldReconnect: () => !this.ended && !this.destroyed && !expired(this.token),
      onGaveUp: (reason) => this.end({ reason }, true),
    });
  }

  async start(): Promise<void> {
    void this.audio.resume().catch(() => undefined);
    void this.startAvatar();
    await this.connection.open();
    if (this.token.modality !== "text") void this.startMicrophone();
  }

  get stats(): OmniagentStats {
    const p = this.player;
    return Object.freeze({
      chunksReceived: p.chunksReceived,
      chunksPlayed: p.chunksPlayed,
      chunksFlushed: p.chunksFlushed,
      flushes: p.flushes,
      queuedChunks: p.queued,
      firstPlayedAt: p.firstPlayedAt,
      playbackStartedAt: Object.freeze([...p.playbackStartedAt]),
      audioChunksSent: this.audioChunksSent,
      microphoneStartedAt: this.microphone?.startedAt ?? null,
      microphoneSamples: this.microphone?.samples ?? 0,
      microphone: this.microphoneState,
      reconnects: this.connection.reconnects,
      framesDrawn: this.avatar.framesDrawn,
      framesSpeaking: this.avatar.framesSpeaking,
      view: this.view,
      renderer: this.speechAvatar ? "speech-avatar" : "canvas",
      ended: this.ended,
    });
  }

  /** Undocumented for apps: the socket, so tests can cut the connection the way a network does. */
  get _socket(): WebSocket | null {
    return this.connection.rawSocket;
  }

  sendCommand(command: OmniagentCommand): boolean {
    if (typeof command !== "object" || command === null || typeof command.type !== "string") {
      this.emit({ event: "error", data: { code: "InvalidCommand", message: "A command is {type, data}." } });
      return false;
    }
    if (command.type === "send_message" && command.data?.role !== "system") this.overlay.hideCountdown();
    return this.connection.send({ type: command.type, data: command.data ?? {} });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.microphone?.stop();
    this.connection.close();
    this.avatar.stop();
    this.speechAvatar?.close();
    this.player.flush();
    document.removeEventListener("pointerdown", this.resumeOnGesture, { capture: true });
    document.removeEventListener("keydown", this.resumeOnGesture, { capture: true });
    void this.audio.close().catch(() => undefined);
    this.overlay.remove();
  }

  private emit(event: OmniagentEvent): void {
    if (this.destroyed) return;
    try {
      this.options.onData?.(event);
    } catch (failed) {
      console.error("Omniagent: onData threw", failed); // the page's bug must not stop the session
    }
  }

  private onSdkEvent(event: OmniagentEvent): void {
    if (event.event === "connection_lost" || event.event === "reconnecting") {
      this.overlay.showStatus("Reconnecting…");
    } else if (event.event === "reconnected") {
      this.overlay.showStatus(null);
    }
    this.emit(event);
  }

  private onServerEvent(event: OmniagentEvent): void {
    const data = event.data ?? {};
    switch (event.event) {
      case "audio_received":
        if (typeof data.audio === "string") this.player.enqueue(data.audio);
        break;
      case "speech_started":
        this.player.flush();
        this.speechAvatar?.interrupt();
        this.overlay.hideCountdown();
        break;
      case "message_received":
        if (data.message?.role === "user") this.overlay.hideCountdown();
        if (data.message?.role === "assistant" && data.message?.action === "completed" && data.message.content) {
          this.speechAvatar?.speak(String(data.message.content));
        }
        break;
      case "avatar_state_changed":
        if (data.state === "ready") {
          this.serverReady = true;
          this.avatarReady();
        }
        break;
      case "inactivity_warning":
        this.warnInactive(Number(data.seconds_remaining));
        break;
    }
    this.emit(event);
    if (event.event === "session_ended") this.end(data, false);
  }

  private warnInactive(secondsRemaining: number): void {
    const feature = this.options.features?.inactiveTimeout;
    const enabled = feature?.enabled ?? this.token.inactivity?.enabled ?? true;
    if (!enabled || !Number.isFinite(secondsRemaining)) return;
    const cap = feature?.countdownSeconds;
    this.overlay.startCountdown(cap !== undefined && cap > 0 ? Math.min(cap, secondsRemaining) : secondsRemaining);
  }

  private showDisclaimer(): void {
    const feature = this.options.features?.disclaimer;
    const fromToken = this.token.disclaimer ?? undefined;
    const enabled = feature?.enabled ?? fromToken?.enabled ?? true;
    if (enabled) this.overlay.showDisclaimer(feature?.text || fromToken?.text || DEFAULT_DISCLAIMER);
  }

  /** The session is over: the server said so (its event already went out), or the SDK gave up. */
  private end(data: Record<string, unknown>, raisedBySdk: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.microphone?.stop();
    this.setMicrophoneState("off");
    this.connection.close();
    this.overlay.showEnded();
    if (raisedBySdk) this.emit({ event: "session_ended", data });
  }

  private async startMicrophone(): Promise<void> {
    this.setMicrophoneState("pending");
    const microphone = new Microphone(this.audio, (pcm) => {
      if (this.ended || this.destroyed) return;
      if (this.connection.send({ type: "send_audio", data: { audio: pcmToBase64(pcm) } })) {
        this.audioChunksSent += 1;
      }
    });
    this.microphone = microphone;
    const failed = await microphone.start();
    if (this.destroyed || this.ended) return microphone.stop();
    if (!failed) return this.setMicrophoneState("on");
    this.setMicrophoneState(failed.failure);
    const code = failed.failure === "denied" ? "MicrophonePermissionDenied" : "MicrophoneUnavailable";
    this.emit({ event: "error", data: { code, message: `The microphone is not available: ${failed.message}` } });
  }

  private setMicrophoneState(state: MicrophoneState): void {
    if (state === this.microphoneState) return;
    this.microphoneState = state;
    if (state !== "pending") this.emit({ event: "microphone_state_changed", data: { state } });
  }

  private async startAvatar(): Promise<void> {
    if (this.token.speechAvatar && (await this.startSpeechAvatar())) return;
    const companion = this.token.companion;
    const silhouette = this.view === "silhouette";
    const url = (silhouette ? companion?.silhouetteUrl || companion?.avatarUrl : companion?.avatarUrl) ?? null;
    const image = await loadImage(url);
    if (this.destroyed) return;
    if (url && !image) {
      this.emit({
        event: "error",
        data: { code: "AvatarImageUnavailable", message: `The avatar image did not load: ${url}` },
      });
    }
    this.avatar.start(image, () => {
      this.avatarDrawn = true;
      this.avatarReady();
    });
  }

  private async startSpeechAvatar(): Promise<boolean> {
    const credentials = this.token.speechAvatar;
    if (!credentials) return false;
    try {
      const module: typeof import("./speech-avatar") = await import(
        /* @vite-ignore */ new URL("speech-avatar.js", SDK_BASE).href
      );
      const avatar = await module.startSpeechAvatar(credentials, this.token.useGreenVideo ?? false);
      if (this.destroyed) {
        avatar.close();
        return true;
      }
      this.speechAvatar = avatar;
      this.player.muted = true; // Azure's avatar speaks the replies itself, in sync with its face
      this.avatar.canvas.remove();
      this.overlay.setStage(avatar.element);
      this.avatarDrawn = true;
      this.avatarReady();
      return true;
    } catch (failed) {
      const message = failed instanceof Error ? failed.message : String(failed);
      this.emit({ event: "error", data: { code: "SpeechAvatarFailed", message } });
      return false;
    }
  }

  private avatarReady(): void {
    if (this.avatarReadyFired || !this.avatarDrawn || !this.serverReady || this.destroyed) return;
    this.avatarReadyFired = true;
    try {
      this.options.onAvatarReady?.();
    } catch (failed) {
      console.error("Omniagent: onAvatarReady threw", failed);
    }
  }
}

export async function startSession(token: string, options: InitOptions): Promise<OmniagentInstance> {
  const session = new Session(decodeToken(token), options);
  try {
    await session.start();
  } catch (failed) {
    session.destroy();
    throw failed;
  }
  return session;
}
