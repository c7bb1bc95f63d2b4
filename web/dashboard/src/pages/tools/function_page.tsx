// One function: edit it (the whole function is saved, as the published PUT), rotate an explicit
// function's signing secret (the new one shown once), delete it.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { FunctionFields, bodyOf, draftOf, type FunctionDraft } from "./function_form";
import { SecretOnce } from "./secret_once";
import type { FunctionItem } from "./types";
import "./tools.css";

export function FunctionPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const path = `/public/functions/${encodeURIComponent(params.functionId)}`;
  const loaded = useLoad(() => api.project<FunctionItem>(params.projectId, path), [path]);
  const [fn, setFn] = useState<FunctionItem | null>(null);
  const [draft, setDraft] = useState<FunctionDraft | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.data) {
      setFn(loaded.data);
      setDraft(draftOf(loaded.data));
    }
  }, [loaded.data]);
  const save = useAction(async () => {
    setSaved(false);
    const written = await api.project<FunctionItem>(params.projectId, path, { method: "PUT", body: bodyOf(draft!, fn!.headers) });
    setFn(written);
    if (written.signingSecret) setSecret(written.signingSecret); // it just became explicit
    setSaved(true);
  });
  const rotate = useAction(async () => {
    const written = await api.project<FunctionItem>(params.projectId, `${path}/signing-secret/rotate`, { method: "POST" });
    setFn(written);
    setSecret(written.signingSecret ?? null);
  });
  const remove = useAction(async () => {
    await api.project<void>(params.projectId, path, { method: "DELETE" });
    navigate(`/orgs/${params.orgId}/projects/${params.projectId}/tools`);
  });
  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  if (!fn || !draft) return <p class="muted">Loading…</p>;
  return (
    <>
      <PageHeader title={<code>{fn.data.name}</code>} intro={`${fn.flow === "implicit" ? "Implicit" : "Explicit"} function · ${fn.id}`} />
      {secret && <SecretOnce secret={secret} onDismiss={() => setSecret(null)} />}
      {fn.flow === "explicit" && writer && (
        <section class="card" aria-labelledby="rotate-title">
          <h2 id="rotate-title">Signing secret</h2>
          <p class="hint">Calls to <code>{fn.url}</code> are signed with it. Rotating makes a new one (shown once) and the old one stops working at once.</p>
          <button type="button" class="secondary" disabled={rotate.pending} onClick={() => void rotate.run()} data-testid="rotate-secret">Rotate the secret</button>
          <ErrorText error={rotate.error} testId="rotate-secret-error" />
        </section>
      )}
      <form class="card" onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="function-form">
        <fieldset disabled={!writer} style="border:none;padding:0;margin:0">
          <FunctionFields draft={draft} onChange={(next) => { setDraft(next); setSaved(false); }} />
        </fieldset>
        {writer && <button type="submit" disabled={save.pending || !draft.schemaValid} data-testid="save-function">Save</button>}
        {saved && <p class="ok" data-testid="function-saved">Saved.</p>}
        <ErrorText error={save.error} testId="save-function-error" />
      </form>
      {writer && (
        <section class="card danger-zone">
          <h2>Delete this function</h2>
          <p class="hint">Agents using it must drop it first (the API says which).</p>
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="delete-function">Delete function</button>
          <ErrorText error={remove.error} testId="delete-function-error" />
        </section>
      )}
    </>
  );
}
