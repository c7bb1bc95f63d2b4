// A new companion with its avatar: the fields, and the image chosen by drag and drop or the picker,
// checked and previewed before anything is sent. "Create" makes the companion, then uploads the
// image; if the upload is refused the companion exists and the form stays as typed, so "Upload" only
// sends the image again. Then the companion's page shows its preparation live.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { useApi } from "../../shell/session";
import { AvatarDrop } from "./avatar_drop";
import type { CheckedAvatar } from "./avatar_rules";
import { CompanionFields, EMPTY_DRAFT, draftBody, type CompanionDraft } from "./companion_fields";
import type { Companion } from "./types";
import "./companions.css";

export function NewCompanionPage({ params }: PageProps) {
  const api = useApi();
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/companions`;
  const [draft, setDraft] = useState<CompanionDraft>(EMPTY_DRAFT);
  const [avatar, setAvatar] = useState<CheckedAvatar | null>(null);
  const [created, setCreated] = useState<Companion | null>(null);
  const create = useAction(async () => {
    const companion = created ?? (await api.project<Companion>(params.projectId, "/public/companions", { method: "POST", body: draftBody(draft) }));
    setCreated(companion);
    if (avatar) await api.upload<Companion>(params.projectId, `/public/companions/${encodeURIComponent(companion.id)}/avatar`, avatar.file, { method: "PUT", contentType: avatar.contentType });
    navigate(`${base}/${companion.id}`);
  });
  const name = [draft.firstName, draft.lastName].filter((part) => part.trim()).join(" ") || "New companion";
  return (
    <>
      <PageHeader title="New companion" intro="Fill in who they are and give them a face: the avatar image is checked here before it is sent." />
      <form class="card" onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="new-companion-form">
        <CompanionFields draft={draft} onChange={setDraft} disabled={created !== null} />
        {created && <p class="notice" data-testid="companion-created-note">The companion was created ({created.id}); only the image remains to be sent.</p>}
        <fieldset>
          <legend>Avatar</legend>
          <AvatarDrop name={name} chosen={avatar} onChosen={setAvatar} disabled={create.pending} />
        </fieldset>
        <div class="row">
          <button type="submit" disabled={create.pending || !draft.description.trim()} data-testid="create-companion">
            {created ? "Upload the avatar" : avatar ? "Create companion and upload avatar" : "Create companion"}
          </button>
          <button type="button" class="secondary" onClick={() => navigate(created ? `${base}/${created.id}` : base)}>Cancel</button>
          {create.pending && <span class="muted">Sending…</span>}
        </div>
        <ErrorText error={create.error} testId="create-companion-error" />
      </form>
    </>
  );
}
