// Tool calls. Implicit ones (function_implicitly_called) are the page's to answer: each gets a form whose
// JSON goes back as send_function_output; function_call_timeout marks a call the agent stopped waiting
// for. Explicit calls run on the server and send the page nothing, so they are listed from the session's
// record (GET /public/sessions/{id}, its toolCalls) once the session has ended.

import { byId, h, showError } from "./dom";
import type { Command } from "./sdk";

export interface ImplicitCall {
  call_id: string;
  name: string;
  arguments?: Record<string, unknown>;
}

export interface RecordedToolCall {
  call_id?: string;
  callId?: string;
  name?: string;
  arguments?: unknown;
  result?: unknown;
  error?: string | null;
  duration_ms?: number;
  durationMs?: number;
}

export class ToolCallsView {
  private readonly list = byId<HTMLOListElement>("tool-calls");
  private readonly empty = byId("tools-empty");
  private readonly rows = new Map<string, HTMLLIElement>();

  constructor(private readonly send: (command: Command) => void) {}

  clear(): void {
    this.rows.clear();
    this.list.replaceChildren();
    this.empty.hidden = false;
  }

  called(call: ImplicitCall): void {
    const outputId = `tool-output-${this.rows.size}`;
    const errorSlot = h("p", { class: "error", role: "alert", hidden: "" });
    const output = h("textarea", { id: outputId, rows: "3", spellcheck: "false" });
    output.value = '{"result": "ok"}';
    const form = h(
      "form",
      { class: "tool-answer", "aria-label": `Answer ${call.name}` },
      h("label", { for: outputId }, "Output (JSON)"),
      output,
      h("button", { type: "submit" }, "Send output"),
      errorSlot,
    );
    const state = h("span", { class: "muted tool-state" }, "waiting for your answer");
    const row = h(
      "li",
      { "data-call-id": call.call_id, "data-kind": "implicit" },
      h("strong", {}, call.name),
      " ",
      state,
      h("pre", {}, JSON.stringify(call.arguments ?? {}, null, 2)),
      form,
    );
    form.addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      let parsed: unknown;
      try {
        parsed = JSON.parse(output.value);
      } catch (invalid) {
        showError(errorSlot, `Not valid JSON: ${(invalid as Error).message}`);
        return;
      }
      showError(errorSlot, null);
      try {
        this.send({ type: "send_function_output", data: { call_id: call.call_id, output: parsed } });
      } catch (failure) {
        showError(errorSlot, `Could not send: ${String(failure)}`);
        return;
      }
      form.remove();
      state.textContent = "answered";
      row.append(h("pre", { class: "answered" }, JSON.stringify(parsed, null, 2)));
    });
    this.add(call.call_id, row);
  }

  timedOut(callId: string, name: string): void {
    const row = this.rows.get(callId);
    if (!row) return;
    row.querySelector("form")?.remove();
    const state = row.querySelector(".tool-state");
    if (state) state.textContent = `timed out: the agent went on without ${name}'s answer`;
  }

  /** The session's own record of every call it made (explicit ones included). */
  recorded(calls: RecordedToolCall[]): void {
    for (const call of calls) {
      const id = call.call_id ?? call.callId ?? `recorded-${this.rows.size}`;
      if (this.rows.has(id)) continue; // an implicit call shown live already
      const outcome = call.error ? `failed: ${call.error}` : JSON.stringify(call.result ?? null);
      const duration = call.duration_ms ?? call.durationMs;
      this.add(
        id,
        h(
          "li",
          { "data-call-id": id, "data-kind": "recorded" },
          h("strong", {}, call.name ?? "tool"),
          " ",
          h("span", { class: "muted" }, `called by the server${duration === undefined ? "" : `, ${Math.round(duration)} ms`}`),
          h("pre", {}, JSON.stringify(call.arguments ?? {}, null, 2)),
          h("pre", {}, `→ ${outcome}`),
        ),
      );
    }
  }

  private add(id: string, row: HTMLLIElement): void {
    this.rows.set(id, row);
    this.list.append(row);
    this.empty.hidden = true;
  }
}
