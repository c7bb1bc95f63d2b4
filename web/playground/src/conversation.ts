// One Playground session: open a webrtc connection for the chosen agent (POST
// /public/agents/{id}/connections with the signed-in user's bearer), hand its token to the Web SDK's
// init(), apply the turn detection with set_settings, and turn the session's events into the
// transcript, the tool calls, the per-turn latency and the status line. End session ends it on the
// server and then reads the session's record for the calls the server made itself.

import { ApiError, call, messageOf } from "../../common/api";
import { byId, h, showError } from "./dom";
import { LatencyLog, type Turn } from "./latency";
import type { Choice } from "./pickers";
import { loadSdk, readConnectionToken, type AvatarView, type SdkInstance, type SessionEvent } from "./sdk";
import type { AdvancedSettings } from "./settings_form";
import { ToolCallsView, type ImplicitCall, type RecordedToolCall } from "./tools";
import { Transcript, TranscriptView, type ConversationMessage } from "./transcript";

interface Live {
  instance: SdkInstance;
  sessionId: string | null;
  choice: Choice;
  ended: boolean;
  endedSignal: () => void;
  endedPromise: Promise<void>;
}

const MICROPHONE_STATES: Record<string, string> = {
  on: "Microphone on: speak any time (echo cancellation and noise suppression are on).",
  off: "Microphone off.",
  denied: "The microphone was refused: allow it in the browser's site settings to talk, or type.",
  unavailable: "No microphone could be opened: type instead.",
};

const MAX_CONNECTION_WAIT_SECONDS = 10;

const KIND_LABEL = { greeting: "(greeting)", typed: "typed", spoken: "spoken" } as const;

export class Conversation {
  private live: Live | null = null;
  private transcript = new Transcript();
  private readonly transcriptView = new TranscriptView(byId<HTMLOListElement>("transcript"));
  private readonly latency = new LatencyLog();
  private readonly tools = new ToolCallsView((command) => this.live?.instance.sendCommand(command));
  private audioChunks = 0;
  private readonly audioPending = new Set<number>();
  private meterTimer: number | null = null;
  private readonly status = byId("status");
  private readonly connectError = byId("connect-error");
  private readonly micStatus = byId("mic-status");

  constructor(private readonly token: () => Promise<string>) {}

  get connected(): boolean {
    return this.live !== null && !this.live.ended;
  }

  async connect(choice: Choice, settings: AdvancedSettings, view: AvatarView, fresh = true): Promise<boolean> {
    showError(this.connectError, null);
    if (fresh) this.reset();
    this.setStatus("Opening a connection…");
    let token: string;
    try {
      token = await this.openConnection(choice, settings);
    } catch (failure) {
      return this.failed(`The connection could not be opened: ${messageOf(failure)}`);
    }
    const details = readConnectionToken(token);
    let init;
    try {
      init = await loadSdk();
    } catch (failure) {
      return this.failed(`The Web SDK (/sdk/v1/omniagent.js) could not be loaded: ${messageOf(failure)}`);
    }
    let endedSignal = () => {};
    const endedPromise = new Promise<void>((resolve) => (endedSignal = resolve));
    const mount = byId("avatar");
    mount.replaceChildren();
    this.setStatus("Starting the session…");
    this.addTurnRow(this.latency.begin("greeting", "")); // timed from here: greetings come during init
    let instance: SdkInstance;
    try {
      instance = await init(token, {
        mountContainer: mount,
        className: "playground-avatar",
        avatarStyle: { view },
        features: settings.features,
        onData: (event) => this.onEvent(event),
        onAvatarReady: () => this.setStatus("Connected: the avatar is ready", true),
      });
    } catch (failure) {
      return this.failed(`The session could not start: ${messageOf(failure)}`);
    }
    this.live = { instance, sessionId: instance.sessionId ?? details.sessionId ?? null, choice, ended: false, endedSignal, endedPromise };
    if (!instance.sendCommand({ type: "set_settings", data: { turn_detection: settings.turnDetection } })) {
      this.note("The turn detection settings could not be applied: the connection closed.", true);
    }
    if (details.modality === "text") this.micStatus.textContent = "This session is text only: type to talk.";
    this.setStatus(`Connected to ${details.companion?.name ?? choice.agent.name ?? choice.agent.id}`, true);
    this.setControls(true);
    return true;
  }

  /** POST .../connections; a 429 soon over (one connection per 5 s: a quick view switch) waits once. */
  private async openConnection(choice: Choice, settings: AdvancedSettings): Promise<string> {
    const { inactiveTimeout, disclaimer } = settings.features;
    // Extensions of the connection request: this session's inactivity and disclaimer, kept by the server.
    const body = {
      channelType: "webrtc",
      ...(inactiveTimeout?.timeoutSeconds !== undefined && inactiveTimeout.countdownSeconds !== undefined
        ? { inactivity: { timeoutSeconds: inactiveTimeout.timeoutSeconds, countdownSeconds: inactiveTimeout.countdownSeconds } }
        : {}),
      ...(disclaimer?.text ? { disclaimer: { enabled: disclaimer.enabled ?? true, text: disclaimer.text } } : {}),
    };
    const open = async () =>
      (
        await call<{ token: string }>(`/public/agents/${encodeURIComponent(choice.agent.id)}/connections`, {
          method: "POST",
          body,
          token: await this.token(),
          project: choice.scope,
        })
      ).token;
    try {
      return await open();
    } catch (failure) {
      const wait = failure instanceof ApiError && failure.status === 429 ? failure.retryAfterSeconds : null;
      if (wait === null || wait > MAX_CONNECTION_WAIT_SECONDS) throw failure;
      this.setStatus(`Connections are limited to one every few seconds: connecting in ${wait} s…`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      return open();
    }
  }

  sendText(text: string): boolean {
    const slot = byId("message-error");
    if (!this.live || this.live.ended) {
      showError(slot, "Connect first: there is no session to send to.");
      return false;
    }
    let sent = false;
    try {
      sent = this.live.instance.sendCommand({ type: "send_message", data: { role: "user", text } });
    } catch (failure) {
      showError(slot, `The message was not sent: ${messageOf(failure)}`);
      return false;
    }
    if (!sent) {
      showError(slot, "The message was not sent: the connection is not open (the SDK may be reconnecting).");
      return false;
    }
    showError(slot, null);
    this.addTurnRow(this.latency.begin("typed", text));
    return true;
  }

  /** End the session on the server, close the SDK, then list the calls the session's record holds. */
  async end(reason = "Session ended"): Promise<void> {
    const live = this.live;
    if (!live) return;
    if (!live.ended) {
      this.setStatus("Ending the session…");
      try {
        live.instance.sendCommand({ type: "end_session", data: {} });
        await Promise.race([live.endedPromise, new Promise((resolve) => setTimeout(resolve, 4000))]);
      } catch {
        // the socket is gone already: destroy() below is all that is left to do
      }
    }
    await this.close(live, reason);
  }

  private async close(live: Live, reason: string): Promise<void> {
    if (this.live !== live) return;
    this.live = null;
    live.ended = true;
    try {
      await live.instance.destroy();
    } catch {
      // nothing more to release
    }
    this.setControls(false);
    this.setStatus(reason);
    this.micStatus.textContent = "";
    if (live.sessionId) await this.readRecord(live);
  }

  private async readRecord(live: Live): Promise<void> {
    try {
      const record = await call<{ toolCalls?: RecordedToolCall[] }>(`/public/sessions/${encodeURIComponent(live.sessionId!)}`, {
        token: await this.token(),
        project: live.choice.scope,
      });
      this.tools.recorded(record.toolCalls ?? []);
    } catch (failure) {
      this.note(`The session's record could not be read: ${messageOf(failure)}`, true);
    }
  }

  private onEvent(event: SessionEvent): void {
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.event) {
      case "message_received":
        this.onMessage((data.message ?? {}) as ConversationMessage);
        break;
      case "audio_received":
        this.audioChunks += 1;
        byId("avatar").dataset.audioChunks = String(this.audioChunks);
        this.timeFirstAudio(Date.now());
        this.scheduleAudioMeter();
        break;
      case "speech_started":
        this.setStatus("Listening…", true);
        break;
      case "talk_state_changed":
        if (data.state === "started") this.setStatus("The agent is speaking", true);
        if (data.state === "ended") this.setStatus("Your turn", true);
        break;
      case "function_implicitly_called":
        this.tools.called(data as unknown as ImplicitCall);
        break;
      case "function_call_timeout":
        this.tools.timedOut(String(data.call_id), String(data.name));
        break;
      case "inactivity_warning":
        this.note(`No activity: the session ends in ${String(data.seconds_remaining)} s unless you speak or type.`);
        break;
      case "session_ended":
        this.note(`Session ended (${String(data.reason ?? "ended")}, ${String(data.billed_minutes ?? 0)} billed minute(s)).`);
        this.onEnded(`Session ended: ${String(data.reason ?? "ended")}`);
        break;
      case "error":
        this.note(`${String(data.code ?? "Error")}: ${String(data.message ?? "")}`, true);
        break;
      case "avatar_state_changed":
        if (data.state === "preparing") this.setStatus("Preparing the avatar…");
        break;
      case "ui_update":
        break;
      default:
        this.onSdkEvent(event.event, data);
    }
  }

  /** The SDK's own events (microphone, connection), in words. */
  private onSdkEvent(name: string, data: Record<string, unknown>): void {
    switch (name) {
      case "microphone_state_changed":
        this.micStatus.textContent = MICROPHONE_STATES[String(data.state)] ?? `Microphone: ${String(data.state)}`;
        break;
      case "connection_lost":
        this.setStatus("Connection lost: reconnecting…");
        this.note("The connection was lost; the SDK reconnects while the session lives.", true);
        break;
      case "reconnecting":
        this.setStatus(`Reconnecting (try ${String(data.attempt)} of ${String(data.maxAttempts)})…`);
        break;
      case "reconnected":
        this.setStatus("Reconnected", true);
        this.note("Reconnected: the session goes on.");
        break;
      default:
        this.note(`${name.replace(/_/g, " ")}: ${JSON.stringify(data)}`);
    }
  }

  private onEnded(reason: string): void {
    const live = this.live;
    if (!live || live.ended) return;
    live.ended = true;
    live.endedSignal();
    void this.close(live, reason);
  }

  /** "Agent audio: N chunks received, M played" from the SDK's counters, at most ~4 times a second. */
  private scheduleAudioMeter(): void {
    if (this.meterTimer !== null) return;
    const instance = this.live?.instance;
    this.meterTimer = window.setTimeout(() => {
      this.meterTimer = null;
      const stats = instance?.stats;
      const meter = byId("audio-meter");
      meter.textContent = stats
        ? `Agent audio: ${stats.chunksReceived} chunks received, ${stats.chunksPlayed} played.`
        : `Agent audio: ${this.audioChunks} chunks received.`;
      if (stats) meter.dataset.chunksPlayed = String(stats.chunksPlayed);
    }, 250);
  }

  /** The current turn's first audio: when the SDK started playing it (its counters, read just after the
   * chunk was scheduled), else when it arrived. */
  private timeFirstAudio(arrivedAt: number): void {
    const turn = this.latency.awaitingAudio();
    if (!turn || this.audioPending.has(turn.number)) return;
    this.audioPending.add(turn.number);
    const instance = this.live?.instance;
    setTimeout(() => {
      const started = instance?.stats?.playbackStartedAt.find((at) => at >= turn.endedAt);
      this.updateTurn(this.latency.agentAudio(turn, started ?? arrivedAt));
    }, 250);
  }

  private onMessage(message: ConversationMessage): void {
    const item = this.transcript.apply(message);
    if (item) this.transcriptView.show(item);
    if (message.role === "user" && message.action === "completed") {
      const turn = this.latency.userCompleted(message.content ?? "");
      if (turn) this.addTurnRow(turn);
    }
    if (message.role === "assistant" && (message.action === "delta" || message.action === "completed")) {
      this.updateTurn(this.latency.agentText());
    }
  }

  private note(text: string, isError = false): void {
    this.transcriptView.show(this.transcript.note(text, isError));
  }

  private addTurnRow(turn: Turn): void {
    const said = turn.said.length > 40 ? `${turn.said.slice(0, 39)}…` : turn.said;
    byId("latency").append(
      h(
        "tr",
        { "data-turn": String(turn.number), "data-kind": turn.kind },
        h("td", {}, String(turn.number)),
        h("td", {}, `${KIND_LABEL[turn.kind]} ${said}`.trim()),
        h("td", { class: "number first-text" }, "…"),
        h("td", { class: "number first-audio" }, "…"),
      ),
    );
  }

  private updateTurn(turn: Turn | null): void {
    if (!turn) return;
    const row = byId("latency").querySelector(`tr[data-turn="${turn.number}"]`);
    if (!row) return;
    (row.querySelector(".first-text") as HTMLElement).textContent = turn.firstTextMs === null ? "…" : `${turn.firstTextMs} ms`;
    (row.querySelector(".first-audio") as HTMLElement).textContent = turn.firstAudioMs === null ? "…" : `${turn.firstAudioMs} ms`;
  }

  private reset(): void {
    this.transcript = new Transcript();
    this.transcriptView.clear();
    this.latency.clear();
    byId("latency").replaceChildren();
    this.tools.clear();
    this.audioChunks = 0;
    this.audioPending.clear();
    const meter = byId("audio-meter");
    meter.textContent = "";
    delete meter.dataset.chunksPlayed;
  }

  private failed(message: string): false {
    showError(this.connectError, message);
    this.setStatus("Not connected");
    this.setControls(false);
    return false;
  }

  private setStatus(text: string, live = false): void {
    this.status.textContent = text;
    this.status.classList.toggle("live", live);
  }

  private setControls(connected: boolean): void {
    byId<HTMLButtonElement>("end-session").disabled = !connected;
    byId<HTMLInputElement>("message").disabled = !connected;
    byId<HTMLButtonElement>("send").disabled = !connected;
    byId<HTMLButtonElement>("connect").textContent = connected ? "Reconnect" : "Connect";
  }
}
