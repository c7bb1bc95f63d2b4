// Knowledge collections: create one, rename or delete it in its row, open it for its files and search.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { KnowledgeBase } from "./types";
import "./knowledge.css";

export function KnowledgePage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const [name, setName] = useState("");
  const [changes, setChanges] = useState(0);
  const create = useAction(async () => {
    await api.project<KnowledgeBase>(params.projectId, "/public/knowledge-bases", { method: "POST", body: { name: name.trim() } });
    setName("");
    setChanges((n) => n + 1);
  });
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/knowledge`;
  return (
    <>
      <PageHeader title="Knowledge" intro="Collections of documents an agent answers from: upload files or URLs, watch them being indexed, and try a search." />
      {writer && (
        <form class="card" onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="create-collection">
          <label for="collection-name">New collection</label>
          <div class="row">
            <input id="collection-name" type="text" maxLength={200} value={name} placeholder="Product documentation" style="flex:1"
                   onInput={(e) => setName(e.currentTarget.value)} data-testid="collection-name" />
            <button type="submit" disabled={create.pending || !name.trim()} data-testid="create-collection-submit">Create</button>
          </div>
          <ErrorText error={create.error} testId="create-collection-error" />
        </form>
      )}
      <section class="card">
        <PagedList<KnowledgeBase>
          testId="collections"
          reloadKey={changes}
          load={(index, size) => api.page<KnowledgeBase>("/public/knowledge-bases", index, size, params.projectId)}
          rowKey={(kb) => kb.id}
          empty={<p>No collections yet{writer ? ": create the first one above." : "."}</p>}
          columns={[
            { label: "Name", cell: (kb) => <CollectionName kb={kb} projectId={params.projectId} to={`${base}/${kb.id}`} writer={writer} onChanged={() => setChanges((n) => n + 1)} /> },
            { label: "Embeddings", cell: (kb) => (kb.provider === "azureOpenAI" ? "Azure OpenAI" : "OpenAI-compatible") },
            { label: "Created", cell: (kb) => new Date(kb.created * 1000).toLocaleString() },
            ...(writer ? [{ label: "", cell: (kb: KnowledgeBase) => <DeleteCollection kb={kb} projectId={params.projectId} onDeleted={() => setChanges((n) => n + 1)} /> }] : []),
          ]}
        />
      </section>
    </>
  );
}

function CollectionName(props: { kb: KnowledgeBase; projectId: string; to: string; writer: boolean; onChanged: () => void }) {
  const api = useApi();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(props.kb.name);
  const rename = useAction(async () => {
    await api.project<KnowledgeBase>(props.projectId, `/public/knowledge-bases/${encodeURIComponent(props.kb.id)}`, { method: "PATCH", body: { name: name.trim() } });
    setEditing(false);
    props.onChanged();
  });
  if (!editing) {
    return (
      <span class="row">
        <Link to={props.to} data-testid="collection-link">{props.kb.name}</Link>
        {props.writer && <button type="button" class="link" onClick={() => setEditing(true)} data-testid="collection-rename">Rename</button>}
      </span>
    );
  }
  return (
    <form onSubmit={(e) => { e.preventDefault(); void rename.run(); }} data-testid="collection-rename-form">
      <div class="row">
        <input type="text" aria-label="Collection name" maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)}
               data-testid="collection-rename-name" />
        <button type="submit" disabled={rename.pending || !name.trim()} data-testid="collection-rename-save">Save</button>
        <button type="button" class="secondary" onClick={() => { setEditing(false); setName(props.kb.name); rename.clear(); }}>Cancel</button>
      </div>
      <ErrorText error={rename.error} testId="collection-rename-error" />
    </form>
  );
}

function DeleteCollection(props: { kb: KnowledgeBase; projectId: string; onDeleted: () => void }) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async () => {
    await api.project<void>(props.projectId, `/public/knowledge-bases/${encodeURIComponent(props.kb.id)}`, { method: "DELETE" });
    props.onDeleted();
  });
  return (
    <div>
      {confirming ? (
        <span class="row">
          <span class="hint">Delete it and all its files?</span>
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="collection-delete-confirm">Delete</button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>Keep</button>
        </span>
      ) : (
        <button type="button" class="link" onClick={() => setConfirming(true)} data-testid="collection-delete">Delete</button>
      )}
      <ErrorText error={remove.error} testId="collection-delete-error" />
    </div>
  );
}
