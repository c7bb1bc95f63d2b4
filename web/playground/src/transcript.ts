// The live transcript: message_received events merged into items (an agent reply's deltas appended to
// one item, replaced by its completed text; a user's typed or spoken turn as one item), plus notes
// (session start, errors, the end). The model is plain data; TranscriptView draws it.

import { h } from "./dom";

export interface Citation {
  index?: number;
  title?: string;
  documentId?: string;
  chunk?: number;
  text?: string;
}

/** `data.message` of a message_received event. */
export interface ConversationMessage {
  type?: "message" | "session";
  role?: "user" | "assistant";
  action?: "delta" | "completed" | "cancelled" | "failed";
  content?: string;
  item_id?: string;
  response_id?: string;
  session_id?: string;
  error?: string;
  citations?: Citation[];
}

export type ItemState = "streaming" | "done" | "interrupted" | "failed";

export interface TranscriptItem {
  key: string;
  role: "user" | "assistant" | "note";
  text: string;
  state: ItemState;
  citations: Citation[];
  isError: boolean;
}

export class Transcript {
  readonly items: TranscriptItem[] = [];
  private readonly byKey = new Map<string, TranscriptItem>();
  private notes = 0;

  /** Merge one message; answers the item it created or changed (null: nothing to show). */
  apply(message: ConversationMessage): TranscriptItem | null {
    if (message.type === "session") {
      return this.note(`Session ${message.session_id ?? ""} started`.trim());
    }
    if (message.role !== "user" && message.role !== "assistant") return null;
    const key = `${message.role}:${message.item_id ?? message.response_id ?? `anonymous-${this.items.length}`}`;
    let item = this.byKey.get(key);
    if (!item) {
      item = { key, role: message.role, text: "", state: "streaming", citations: [], isError: false };
      this.byKey.set(key, item);
      this.items.push(item);
    }
    switch (message.action) {
      case "delta":
        item.text += message.content ?? "";
        break;
      case "completed":
        item.text = message.content ?? item.text;
        item.state = "done";
        item.citations = message.citations ?? [];
        break;
      case "cancelled":
        item.text = message.content ?? item.text;
        item.state = "interrupted";
        break;
      case "failed":
        item.text = message.content ?? item.text;
        item.state = "failed";
        item.isError = true;
        if (message.error) item.text += `${item.text ? " " : ""}(failed: ${message.error})`;
        break;
      default:
        item.state = "done";
        item.text = message.content ?? item.text;
    }
    return item;
  }

  note(text: string, isError = false): TranscriptItem {
    this.notes += 1;
    const item: TranscriptItem = { key: `note:${this.notes}`, role: "note", text, state: "done", citations: [], isError };
    this.items.push(item);
    this.byKey.set(item.key, item);
    return item;
  }
}

const SPEAKER = { user: "You", assistant: "Agent", note: "" } as const;

export class TranscriptView {
  private readonly rows = new Map<string, HTMLLIElement>();

  constructor(private readonly list: HTMLOListElement) {}

  clear(): void {
    this.rows.clear();
    this.list.replaceChildren();
  }

  show(item: TranscriptItem): void {
    const row = this.rows.get(item.key) ?? this.added(item);
    row.className = [item.role, item.state === "streaming" ? "pending" : "", item.state === "interrupted" ? "interrupted" : "", item.isError ? "error" : ""]
      .filter(Boolean)
      .join(" ");
    row.dataset.state = item.state;
    const text = row.querySelector(".text") as HTMLElement;
    text.textContent = item.text;
    row.querySelector(".citations")?.remove();
    if (item.citations.length) {
      row.append(
        h(
          "ol",
          { class: "citations", "aria-label": "Sources" },
          ...item.citations.map((citation) =>
            h("li", {}, `[${citation.index ?? "?"}] ${citation.title || citation.documentId || "source"}`, citation.text ? `: ${truncate(citation.text, 140)}` : ""),
          ),
        ),
      );
    }
    this.list.scrollTop = this.list.scrollHeight;
  }

  private added(item: TranscriptItem): HTMLLIElement {
    const speaker = SPEAKER[item.role];
    const row = h("li", { "data-role": item.role }, speaker ? h("span", { class: "who" }, speaker) : null, h("span", { class: "text" }));
    this.rows.set(item.key, row);
    this.list.append(row);
    return row;
  }
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
