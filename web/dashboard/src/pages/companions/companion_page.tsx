// One companion: its avatar in the three views, its preparation status live (GET polled while the
// silhouette is being cut out), a new avatar by drag and drop, its fields, and delete.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { AvatarDrop } from "./avatar_drop";
import type { CheckedAvatar } from "./avatar_rules";
import { AvatarViews } from "./avatar_views";
import { CompanionFields, draftBody, type CompanionDraft } from "./companion_fields";
import { usePolling } from "./polling";
import { companionName, statusWords, type Companion } from "./types";
import "./companions.css";

const POLL_MS = 1000;

function draftOf(companion: Companion): CompanionDraft {
  return {
    firstName: companion.firstName ?? "",
    lastName: companion.lastName ?? "",
    description: companion.description,
    instructions: companion.instructions ?? "",
    gender: (companion.gender ?? "") as CompanionDraft["gender"],
    defaultView: companion.defaultView,
  };
}

export function CompanionPage({ params }: PageProps) {
  const api = useApi();
  const path = `/public/companions/${encodeURIComponent(params.companionId)}`;
  const loaded = useLoad(() => api.project<Companion>(params.projectId, path), [path]);
  const [companion, setCompanion] = useState<Companion | null>(null);
  const [pollError, setPollError] = useState<unknown>(null);
  useEffect(() => setCompanion(loaded.data ?? null), [loaded.data]);

  const preparing = companion?.status === "pending" && companion.avatar?.silhouette === "preparing";
  usePolling(preparing, POLL_MS, async () => {
    try {
      setCompanion(await api.project<Companion>(params.projectId, path));
      setPollError(null);
    } catch (failure) {
      setPollError(failure);
    }
  }, [path]);

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  if (!companion) return <p class="muted">Loading…</p>;
  return <CompanionView companion={companion} onChanged={setCompanion} pollError={pollError} params={params} />;
}

function CompanionView({ companion, onChanged, pollError, params }: { companion: Companion; onChanged: (c: Companion) => void; pollError: unknown; params: PageProps["params"] }) {
  const api = useApi();
  const scope = useScope();
  const writer = scope.can("manageResources") && !companion.isStock;
  const path = `/public/companions/${encodeURIComponent(companion.id)}`;
  const name = companionName(companion);
  const [avatar, setAvatar] = useState<CheckedAvatar | null>(null);
  const upload = useAction(async () => {
    if (!avatar) return;
    onChanged(await api.upload<Companion>(params.projectId, `${path}/avatar`, avatar.file, { method: "PUT", contentType: avatar.contentType }));
    setAvatar(null);
  });
  const [draft, setDraft] = useState<CompanionDraft>(draftOf(companion));
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    onChanged(await api.project<Companion>(params.projectId, path, { method: "PATCH", body: draftBody(draft) }));
    setSaved(true);
  });
  const remove = useAction(async () => {
    await api.project<void>(params.projectId, path, { method: "DELETE" });
    navigate(`/orgs/${params.orgId}/projects/${params.projectId}/companions`);
  });
  const silhouette = companion.avatar?.silhouette;
  const note = silhouette === "preparing" ? "Being cut out…"
    : silhouette === "none" ? "No person was found, so there is no silhouette: this view shows the whole image."
    : silhouette === "alphaChannel" ? "The image's own transparency."
    : silhouette === "cutOut" ? "Cut out of the image." : undefined;
  const ready = companion.status === "readyToUse";
  return (
    <>
      <PageHeader title={name} intro={companion.isStock ? "A stock companion: any project may use it; it cannot be changed." : companion.headline ?? undefined} />
      <section class="card" aria-labelledby="avatar-title">
        <h2 id="avatar-title">Avatar</h2>
        <div class="status-line" data-testid="companion-status" data-status={companion.status} data-silhouette={silhouette ?? ""}>
          {ready ? <span class="badge ready">Ready to use</span> : <span class="badge warn">Pending</span>}
          {companion.status === "pending" && silhouette === "preparing" && <span class="spinner" aria-hidden="true" />}
          <span data-testid="companion-status-words">{statusWords(companion)}</span>
        </div>
        <ErrorText error={pollError} testId="companion-poll-error" />
        {companion.previewUrl ? (
          <AvatarViews name={name} imageUrl={companion.previewUrl} silhouetteUrl={companion.avatar?.silhouetteUrl ?? null}
                       silhouetteNote={note} defaultView={companion.defaultView} testId="avatar-preview" />
        ) : (
          <p class="hint" data-testid="no-avatar">No avatar image yet{writer ? ": upload one below." : "."}</p>
        )}
        {companion.avatar && (
          <p class="hint" data-testid="avatar-facts">
            {companion.avatar.width}×{companion.avatar.height}, {companion.avatar.contentType}, {(companion.avatar.sizeBytes / 1024).toFixed(0)} KB
          </p>
        )}
        {writer && (
          <form onSubmit={(e) => { e.preventDefault(); void upload.run(); }} data-testid="avatar-upload-form">
            <h3>{companion.avatar ? "Replace the avatar" : "Upload an avatar"}</h3>
            <AvatarDrop name={name} chosen={avatar} onChosen={setAvatar} disabled={upload.pending} />
            <button type="submit" disabled={!avatar || upload.pending} data-testid="avatar-upload">Upload</button>
            <ErrorText error={upload.error} testId="avatar-upload-error" />
          </form>
        )}
      </section>
      {writer ? (
        <form class="card" onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="companion-edit-form">
          <CompanionFields draft={draft} onChange={(next) => { setDraft(next); setSaved(false); }} />
          <button type="submit" disabled={save.pending || !draft.description.trim()} data-testid="companion-save">Save</button>
          {saved && <p class="ok" data-testid="companion-saved">Saved.</p>}
          <ErrorText error={save.error} testId="companion-save-error" />
        </form>
      ) : (
        <section class="card">
          <h2>Personality</h2>
          <p data-testid="companion-description">{companion.description}</p>
          {companion.instructions && <><h3>Instructions</h3><p>{companion.instructions}</p></>}
        </section>
      )}
      {writer && (
        <section class="card danger-zone">
          <h2>Delete this companion</h2>
          <p class="hint">Its avatar and silhouette are deleted too. An agent using it must be changed first.</p>
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="companion-delete">Delete companion</button>
          <ErrorText error={remove.error} testId="companion-delete-error" />
        </section>
      )}
    </>
  );
}
