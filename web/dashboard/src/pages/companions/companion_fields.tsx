// The companion's own fields, shared by the new-companion form and the companion's page.
import { VIEWS, type AvatarView } from "./types";

export interface CompanionDraft {
  firstName: string;
  lastName: string;
  description: string;
  instructions: string;
  gender: "" | "male" | "female" | "nonBinary";
  defaultView: AvatarView;
}

export const EMPTY_DRAFT: CompanionDraft = { firstName: "", lastName: "", description: "", instructions: "", gender: "", defaultView: "rectangle" };

/** The JSON body for POST (and PATCH) /public/companions. */
export function draftBody(draft: CompanionDraft): Record<string, unknown> {
  return {
    firstName: draft.firstName.trim() || null,
    lastName: draft.lastName.trim() || null,
    description: draft.description,
    instructions: draft.instructions.trim() || null,
    gender: draft.gender || null,
    defaultView: draft.defaultView,
  };
}

export function CompanionFields({ draft, onChange, disabled }: { draft: CompanionDraft; onChange: (draft: CompanionDraft) => void; disabled?: boolean }) {
  const set = <K extends keyof CompanionDraft>(key: K, value: CompanionDraft[K]) => onChange({ ...draft, [key]: value });
  return (
    <fieldset disabled={disabled}>
      <legend>Who they are</legend>
      <div class="row">
        <div style="flex:1">
          <label for="companion-first-name">First name</label>
          <input id="companion-first-name" type="text" maxLength={100} value={draft.firstName}
                 onInput={(e) => set("firstName", e.currentTarget.value)} data-testid="companion-first-name" />
        </div>
        <div style="flex:1">
          <label for="companion-last-name">Last name</label>
          <input id="companion-last-name" type="text" maxLength={100} value={draft.lastName}
                 onInput={(e) => set("lastName", e.currentTarget.value)} data-testid="companion-last-name" />
        </div>
        <div style="flex:1">
          <label for="companion-gender">Gender</label>
          <select id="companion-gender" value={draft.gender} onChange={(e) => set("gender", e.currentTarget.value as CompanionDraft["gender"])}>
            <option value="">Not said</option>
            <option value="female">Female</option>
            <option value="male">Male</option>
            <option value="nonBinary">Non-binary</option>
          </select>
        </div>
      </div>
      <label for="companion-description">Personality and role <span class="muted">(required: the base of the system prompt)</span></label>
      <textarea id="companion-description" rows={4} maxLength={20000} value={draft.description}
                placeholder="A warm, precise support specialist for Contoso's routers…"
                onInput={(e) => set("description", e.currentTarget.value)} data-testid="companion-description" />
      <label for="companion-instructions">Behavior instructions <span class="muted">(optional)</span></label>
      <textarea id="companion-instructions" rows={3} maxLength={20000} value={draft.instructions}
                onInput={(e) => set("instructions", e.currentTarget.value)} data-testid="companion-instructions" />
      <label for="companion-view">How the Web SDK shows the avatar</label>
      <select id="companion-view" value={draft.defaultView} onChange={(e) => set("defaultView", e.currentTarget.value as AvatarView)}
              data-testid="companion-default-view">
        {VIEWS.map((view) => <option key={view} value={view}>{view[0].toUpperCase() + view.slice(1)}</option>)}
      </select>
    </fieldset>
  );
}
