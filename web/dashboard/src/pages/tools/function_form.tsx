// A function's fields: what the model sees (name, description, the parameters' JSON Schema edited in
// CodeMirror and checked as you type) and how it runs (implicit: the client answers it; explicit: the
// platform calls its URL, signing each call).
import { LazySchemaEditor as SchemaEditor } from "./schema_editor_lazy";
import type { Flow, FunctionItem } from "./types";

export interface FunctionDraft {
  name: string;
  description: string;
  schemaText: string;
  schemaValid: boolean;
  flow: Flow;
  url: string;
  prompt: string;
}

export function draftOf(fn: FunctionItem): FunctionDraft {
  return {
    name: fn.data.name,
    description: fn.data.description,
    schemaText: JSON.stringify(fn.data.parameters, null, 2),
    schemaValid: true,
    flow: fn.flow,
    url: fn.url ?? "",
    prompt: fn.prompt ?? "",
  };
}

/** The whole function (POST and PUT /public/functions), from a draft whose schema is valid. */
export function bodyOf(draft: FunctionDraft, headers: Record<string, string> | null = null): Record<string, unknown> {
  return {
    data: { name: draft.name.trim(), description: draft.description, parameters: JSON.parse(draft.schemaText) as unknown },
    flow: draft.flow,
    url: draft.flow === "explicit" ? draft.url.trim() || null : null,
    headers: draft.flow === "explicit" ? headers : null,
    prompt: draft.prompt.trim() || null,
  };
}

export function FunctionFields({ draft, onChange }: { draft: FunctionDraft; onChange: (draft: FunctionDraft) => void }) {
  const set = (changes: Partial<FunctionDraft>) => onChange({ ...draft, ...changes });
  return (
    <>
      <label for="function-name">Name <span class="muted">(what the model calls: letters, digits, _ and -, up to 64)</span></label>
      <input id="function-name" type="text" maxLength={64} pattern="[A-Za-z0-9_\-]{1,64}" value={draft.name} placeholder="get_weather"
             onInput={(e) => set({ name: e.currentTarget.value })} data-testid="function-name" />
      <label for="function-description">Description <span class="muted">(for the model: what it does and when to call it)</span></label>
      <textarea id="function-description" rows={2} maxLength={8000} value={draft.description}
                onInput={(e) => set({ description: e.currentTarget.value })} data-testid="function-description" />
      <label>Parameters <span class="muted">(JSON Schema 2020-12 of the arguments: an object)</span></label>
      <SchemaEditor value={draft.schemaText} onChange={(text, valid) => onChange({ ...draft, schemaText: text, schemaValid: valid })} />
      <fieldset>
        <legend>Who runs it</legend>
        <label class="check">
          <input type="radio" name="flow" checked={draft.flow === "implicit"} onChange={() => set({ flow: "implicit" })} data-testid="flow-implicit" />
          Implicit: the connected client (your page, through the Web SDK) runs it and answers
        </label>
        <label class="check">
          <input type="radio" name="flow" checked={draft.flow === "explicit"} onChange={() => set({ flow: "explicit" })} data-testid="flow-explicit" />
          Explicit: the platform calls your endpoint, signed with a secret shown once
        </label>
        {draft.flow === "explicit" && (
          <>
            <label for="function-url">Endpoint URL <span class="muted">(http, https, ws or wss; no private addresses outside local development)</span></label>
            <input id="function-url" type="url" maxLength={2048} value={draft.url} placeholder="https://api.example.com/weather"
                   onInput={(e) => set({ url: e.currentTarget.value })} data-testid="function-url" />
          </>
        )}
      </fieldset>
      <label for="function-prompt">Guidance for the system prompt <span class="muted">(optional)</span></label>
      <textarea id="function-prompt" rows={2} maxLength={8000} value={draft.prompt}
                onInput={(e) => set({ prompt: e.currentTarget.value })} data-testid="function-prompt" />
    </>
  );
}
