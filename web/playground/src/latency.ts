// Per-turn latency, as a person at the page feels it: from the end of their turn (a typed message sent;
// a spoken one when its transcript arrives, the first sign the server heard its end) to the agent's
// first text (its first delta) and its first audio played (the SDK's playback start for that reply, or
// the first audio_received where the SDK gives no counters). The greeting is timed from the moment the
// page handed the token to the SDK. Times are wall clock (Date.now()), as the SDK's counters are.

export type TurnKind = "greeting" | "typed" | "spoken";

export interface Turn {
  number: number;
  kind: TurnKind;
  said: string;
  endedAt: number; // Date.now() at the end of the user's turn
  firstTextMs: number | null;
  firstAudioMs: number | null;
  awaitingEcho: boolean; // typed: the server echoes it as the user's completed item
}

export class LatencyLog {
  readonly turns: Turn[] = [];

  /** A new turn; answers it for display. */
  begin(kind: TurnKind, said: string, at = Date.now()): Turn {
    const turn: Turn = {
      number: this.turns.length,
      kind,
      said,
      endedAt: at,
      firstTextMs: null,
      firstAudioMs: null,
      awaitingEcho: kind === "typed",
    };
    this.turns.push(turn);
    return turn;
  }

  /** A user's completed item: the echo of the message just typed, or the transcript of speech. */
  userCompleted(text: string, at = Date.now()): Turn | null {
    const last = this.turns.at(-1);
    if (last?.awaitingEcho) {
      last.awaitingEcho = false;
      return null;
    }
    return this.begin("spoken", text, at);
  }

  /** The agent's first delta of the current turn; answers the turn when it changed. */
  agentText(at = Date.now()): Turn | null {
    const turn = this.turns.at(-1);
    if (!turn || turn.firstTextMs !== null) return null;
    turn.firstTextMs = Math.max(0, Math.round(at - turn.endedAt));
    return turn;
  }

  /** The turn whose first audio is still to be timed (the current one), if any. */
  awaitingAudio(): Turn | null {
    const turn = this.turns.at(-1);
    return turn && turn.firstAudioMs === null ? turn : null;
  }

  /** `playedAt`: when the turn's first audio started to play (or arrived). */
  agentAudio(turn: Turn, playedAt: number): Turn | null {
    if (turn.firstAudioMs !== null) return null;
    turn.firstAudioMs = Math.max(0, Math.round(playedAt - turn.endedAt));
    return turn;
  }

  clear(): void {
    this.turns.length = 0;
  }
}
