// An agent's fields: its companion and voice (with a sample), its tools, knowledge and FAQs, and the
// model settings. One form for creating and for editing.
import type { Choices } from "./choices";
import type { Agent, Named } from "./types";
import { VoiceSample } from "./voice_sample";

export interface AgentDraft {
  name: string;
  companionId: string;
  voiceId: string;
  language: string;
  greeting: string;
  functions: string[];
  faqCollections: string[];
  knowledgeBaseId: string;
  instructions: string;
  temperature: string;
  maxOutputTokens: string;
}

export const EMPTY_AGENT: AgentDraft = {
  name: "", companionId: "", voiceId: "", language: "", greeting: "", functions: [], faqCollections: [],
  knowledgeBaseId: "", instructions: "", temperature: "", maxOutputTokens: "",
};

export function draftOf(agent: Agent): AgentDraft {
  const settings = agent.providerSettings ?? {};
  return {
    name: agent.name ?? "",
    companionId: agent.companionId,
    voiceId: agent.voiceId,
    language: agent.language ?? "",
    greeting: agent.greeting ?? "",
    functions: agent.functions,
    faqCollections: agent.faqCollections,
    knowledgeBaseId: agent.knowledgeBaseId ?? "",
    instructions: settings.instructions ?? "",
    temperature: settings.temperature == null ? "" : String(settings.temperature),
    maxOutputTokens: settings.maxOutputTokens == null ? "" : String(settings.maxOutputTokens),
  };
}

/** The JSON of POST /public/agents (and of PATCH: every field sent, `null` resetting the empty ones). */
export function agentBody(draft: AgentDraft): Record<string, unknown> {
  const number = (text: string) => (text.trim() === "" ? null : Number(text));
  return {
    name: draft.name.trim() || null,
    companionId: draft.companionId,
    voiceId: draft.voiceId,
    language: draft.language.trim() || null,
    greeting: draft.greeting.trim() || null,
    functions: draft.functions,
    faqCollections: draft.faqCollections,
    knowledgeBaseId: draft.knowledgeBaseId || null,
    providerSettings: {
      instructions: draft.instructions.trim() || null,
      temperature: number(draft.temperature),
      maxOutputTokens: number(draft.maxOutputTokens),
    },
  };
}

export function AgentFields(props: { draft: AgentDraft; onChange: (draft: AgentDraft) => void; choices: Choices; projectId: string; disabled?: boolean }) {
  const { draft, choices } = props;
  const set = (changes: Partial<AgentDraft>) => props.onChange({ ...draft, ...changes });
  const voice = choices.voices.find((v) => v.id === draft.voiceId);
  return (
    <fieldset disabled={props.disabled} class="agent-fields">
      <label for="agent-name">Name</label>
      <input id="agent-name" type="text" maxLength={200} value={draft.name} placeholder="Website concierge"
             onInput={(e) => set({ name: e.currentTarget.value })} data-testid="agent-name" />
      <div class="agent-grid">
        <div>
          <label for="agent-companion">Companion <span class="muted">(face and personality)</span></label>
          <select id="agent-companion" value={draft.companionId} onChange={(e) => set({ companionId: e.currentTarget.value })} data-testid="agent-companion">
            <option value="">Choose a companion</option>
            {choices.companions.map((c) => <option key={c.id} value={c.id}>{c.label}{c.note ? ` (${c.note})` : ""}</option>)}
          </select>
        </div>
        <div>
          <label for="agent-voice">Voice <span class="muted">(of the key's provider)</span></label>
          <select id="agent-voice" value={draft.voiceId} onChange={(e) => set({ voiceId: e.currentTarget.value })} data-testid="agent-voice">
            <option value="">Choose a voice</option>
            {choices.voices.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
          </select>
          <VoiceSample voice={voice} projectId={props.projectId} />
        </div>
        <div>
          <label for="agent-language">Language <span class="muted">(ISO 639-1, e.g. en; empty: English, switchable)</span></label>
          <input id="agent-language" type="text" maxLength={40} value={draft.language} onInput={(e) => set({ language: e.currentTarget.value })} data-testid="agent-language" />
        </div>
      </div>
      <label for="agent-greeting">Greeting <span class="muted">(what it says first)</span></label>
      <input id="agent-greeting" type="text" maxLength={1000} value={draft.greeting} onInput={(e) => set({ greeting: e.currentTarget.value })} data-testid="agent-greeting" />
      <div class="agent-grid">
        <Checklist legend="Tools" items={choices.functions} chosen={draft.functions} onChange={(functions) => set({ functions })} testId="agent-functions"
                   empty="No functions in this project yet." />
        <Checklist legend="FAQ collections" items={choices.faqCollections} chosen={draft.faqCollections} onChange={(faqCollections) => set({ faqCollections })}
                   testId="agent-faqs" empty="No FAQ collections yet." />
        <div>
          <label for="agent-knowledge">Knowledge collection</label>
          <select id="agent-knowledge" value={draft.knowledgeBaseId} onChange={(e) => set({ knowledgeBaseId: e.currentTarget.value })} data-testid="agent-knowledge">
            <option value="">None</option>
            {choices.knowledgeBases.map((kb) => <option key={kb.id} value={kb.id}>{kb.label}</option>)}
          </select>
        </div>
      </div>
      <ModelSettings draft={draft} set={set} />
    </fieldset>
  );
}

export function ModelSettings({ draft, set }: { draft: Pick<AgentDraft, "instructions" | "temperature" | "maxOutputTokens">; set: (changes: Partial<AgentDraft>) => void }) {
  return (
    <fieldset>
      <legend>Model settings</legend>
      <label for="agent-instructions">Instructions <span class="muted">(replace the companion's own prompt; optional)</span></label>
      <textarea id="agent-instructions" rows={3} maxLength={16000} value={draft.instructions} onInput={(e) => set({ instructions: e.currentTarget.value })}
                data-testid="agent-instructions" />
      <div class="row">
        <div>
          <label for="agent-temperature">Temperature <span class="muted">(0–2)</span></label>
          <input id="agent-temperature" type="number" min={0} max={2} step={0.1} value={draft.temperature}
                 onInput={(e) => set({ temperature: e.currentTarget.value })} data-testid="agent-temperature" />
        </div>
        <div>
          <label for="agent-max-tokens">Max output tokens</label>
          <input id="agent-max-tokens" type="number" min={1} max={32768} step={1} value={draft.maxOutputTokens}
                 onInput={(e) => set({ maxOutputTokens: e.currentTarget.value })} data-testid="agent-max-tokens" />
        </div>
      </div>
    </fieldset>
  );
}

function Checklist(props: { legend: string; items: Named[]; chosen: string[]; onChange: (ids: string[]) => void; testId: string; empty: string }) {
  const toggle = (id: string, on: boolean) => props.onChange(on ? [...props.chosen, id] : props.chosen.filter((chosen) => chosen !== id));
  return (
    <fieldset data-testid={props.testId}>
      <legend>{props.legend}</legend>
      {props.items.length === 0 && <p class="hint">{props.empty}</p>}
      {props.items.map((item) => (
        <label key={item.id} class="check">
          <input type="checkbox" checked={props.chosen.includes(item.id)} onChange={(e) => toggle(item.id, e.currentTarget.checked)}
                 data-testid={`${props.testId}-${item.label}`} />
          {item.label}{item.note && <span class="muted"> · {item.note}</span>}
        </label>
      ))}
    </fieldset>
  );
}
