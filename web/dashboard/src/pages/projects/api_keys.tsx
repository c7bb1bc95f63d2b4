// A project's API keys (Admins only: the API refuses Members, and a Member who opens this URL sees its
// words): create one with its model provider, see it once with a copy button, list them masked, revoke.
import { useRef, useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader, when } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { CreateApiKey, providerLabel, type ApiKey, type ApiKeyCreated } from "./api_key_form";

export function ApiKeysPage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [changes, setChanges] = useState(0);
  const base = `/manage/projects/${encodeURIComponent(params.projectId)}/api-keys`;
  // The API is the authority on who may see keys: ask it first, and show its refusal in its words.
  const access = useLoad(() => api.page<ApiKey>(base, 0, 1), [base]);
  if (access.error) return <ErrorBanner error={access.error} onRetry={access.reload} />;
  if (!access.data) return <p class="muted">Loading…</p>;
  return (
    <>
      <PageHeader
        title="API keys"
        intro={`Keys of ${scope.project?.name ?? "the project"}: send one as X-Api-Key to /public. Each names the model provider its sessions use.`}
      />
      {created && <CreatedKey created={created} onDone={() => setCreated(null)} />}
      <section class="card">
        <PagedList<ApiKey>
          testId="keys"
          reloadKey={changes}
          load={(index, size) => api.page<ApiKey>(base, index, size)}
          rowKey={(key) => key.id}
          empty={<p>No keys yet: create one below.</p>}
          columns={[
            { label: "Name", cell: (k) => <span data-testid="key-row-name">{k.name}</span> },
            { label: "Key", cell: (k) => <code data-testid="key-masked">{`••••••••••••${k.keyHint}`}</code> },
            { label: "Provider", cell: (k) => <ProviderSummary provider={k.provider} /> },
            { label: "Created", cell: (k) => when(k.createdAt) },
            { label: "", cell: (k) => <RevokeKey path={`${base}/${encodeURIComponent(k.id)}`} onRevoked={() => setChanges((n) => n + 1)} /> },
          ]}
        />
      </section>
      <CreateApiKey projectId={params.projectId} onCreated={(key) => { setCreated(key); setChanges((n) => n + 1); }} />
    </>
  );
}

function ProviderSummary({ provider }: { provider: ApiKey["provider"] }) {
  const where = provider.endpoint ?? provider.baseUrl;
  const model = provider.deployment ?? provider.model;
  return (
    <span data-testid="key-provider">
      {providerLabel(provider.type)}
      {(where || model) && (
        <span class="muted">
          {" "}· {[where, model].filter(Boolean).map(String).join(" · ")}
        </span>
      )}
    </span>
  );
}

/** The new key, this once: selectable, with a copy button, gone when dismissed or the page is left. */
function CreatedKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    field.current?.select();
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("Copied to the clipboard.");
    } catch {
      // No clipboard permission (an insecure origin, a policy): the text is selected for Ctrl+C.
      const done = document.execCommand("copy");
      setCopied(done ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C) to copy it.");
    }
  };
  return (
    <section class="card created-key" role="status" aria-labelledby="created-key-title" data-testid="created-key">
      <h2 id="created-key-title">Key “{created.name}” created</h2>
      <p class="notice">Copy it now and keep it somewhere safe: it is shown only this once and cannot be shown again.</p>
      <div class="secret">
        <label class="visually-hidden" for="created-key-value">The new key</label>
        <input id="created-key-value" ref={field} type="text" readOnly value={created.key}
               onFocus={(e) => e.currentTarget.select()} data-testid="created-key-value" />
        <button type="button" onClick={() => void copy()} data-testid="copy-key">Copy</button>
      </div>
      {copied && <p class="ok" data-testid="copy-result">{copied}</p>}
      <button type="button" class="secondary" onClick={onDone} data-testid="created-key-done">I have stored it</button>
    </section>
  );
}

function RevokeKey({ path, onRevoked }: { path: string; onRevoked: () => void }) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const revoke = useAction(async () => {
    await api.manage<void>(path, { method: "DELETE" });
    onRevoked();
  });
  return (
    <div>
      {confirming ? (
        <span class="row">
          <button type="button" class="danger" disabled={revoke.pending} onClick={() => void revoke.run()} data-testid="revoke-confirm">
            Revoke: it stops working at once
          </button>
          <button type="button" class="link" onClick={() => setConfirming(false)}>Keep</button>
        </span>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)} data-testid="revoke-key">Revoke</button>
      )}
      <ErrorText error={revoke.error} testId="revoke-error" />
    </div>
  );
}
