// One FAQ collection as an editable list: add a question and answer, edit one in place, delete one,
// rename or delete the collection. The collection's GET holds its items: they are paged here, in the
// same envelope and pager as every list.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { navigate } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { FaqCollection, FaqItem } from "./types";
import "./tools.css";

const PAGE_SIZE = 10;

export function FaqCollectionPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const path = `/public/faqs/${encodeURIComponent(params.faqCollectionId)}`;
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);
  const collection = useLoad(() => api.project<FaqCollection>(params.projectId, path), [path, changes]);
  const [question, setQuestion] = useState("");
  const [answer, setAnswer] = useState("");
  const add = useAction(async () => {
    await api.project<FaqItem>(params.projectId, `${path}/items`, { method: "POST", body: { question: question.trim(), answer: answer.trim() } });
    setQuestion("");
    setAnswer("");
    changed();
  });
  const [name, setName] = useState<string | null>(null);
  const rename = useAction(async () => {
    await api.project<FaqCollection>(params.projectId, path, { method: "PATCH", body: { name: (name ?? "").trim() } });
    setName(null);
    changed();
  });
  const remove = useAction(async () => {
    await api.project<void>(params.projectId, path, { method: "DELETE" });
    navigate(`/orgs/${params.orgId}/projects/${params.projectId}/faqs`);
  });
  if (collection.error && !collection.data) return <ErrorBanner error={collection.error} onRetry={collection.reload} />;
  const data = collection.data;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <>
      <PageHeader title={data.name} intro={`FAQ collection · ${data.items.length} question${data.items.length === 1 ? "" : "s"} · ${data.id}`}
                  actions={writer && name === null && <button type="button" class="secondary" onClick={() => setName(data.name)} data-testid="faq-rename">Rename</button>} />
      {name !== null && (
        <form class="card row" onSubmit={(e) => { e.preventDefault(); void rename.run(); }} data-testid="faq-rename-form">
          <input type="text" aria-label="Collection name" maxLength={200} value={name} style="flex:1" onInput={(e) => setName(e.currentTarget.value)} data-testid="faq-rename-name" />
          <button type="submit" disabled={rename.pending || !name.trim()} data-testid="faq-rename-save">Save</button>
          <button type="button" class="secondary" onClick={() => setName(null)}>Cancel</button>
          <ErrorText error={rename.error} testId="faq-rename-error" />
        </form>
      )}
      {writer && (
        <form class="card" onSubmit={(e) => { e.preventDefault(); void add.run(); }} data-testid="faq-add-form">
          <h2>Add a question</h2>
          <label for="faq-question">Question</label>
          <input id="faq-question" type="text" maxLength={1000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} data-testid="faq-question" />
          <label for="faq-answer">Answer</label>
          <textarea id="faq-answer" rows={3} maxLength={8000} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} data-testid="faq-answer" />
          <button type="submit" disabled={add.pending || !question.trim() || !answer.trim()} data-testid="faq-add">Add</button>
          <ErrorText error={add.error} testId="faq-add-error" />
        </form>
      )}
      <section class="card">
        <PagedList<FaqItem>
          testId="faq-items"
          pageSize={PAGE_SIZE}
          reloadKey={data}
          load={async (index, size) => ({ items: data.items.slice(index * size, (index + 1) * size), totalCount: data.items.length, pageIndex: index, pageSize: size })}
          rowKey={(item) => item.id}
          empty={<p>No questions yet.</p>}
          columns={[
            { label: "Question and answer", cell: (item) => <FaqRow item={item} path={`${path}/items/${encodeURIComponent(item.id)}`} projectId={params.projectId} writer={writer} onChanged={changed} /> },
          ]}
        />
      </section>
      {writer && (
        <section class="card danger-zone">
          <h2>Delete this collection</h2>
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="faq-delete-collection">Delete collection</button>
          <ErrorText error={remove.error} testId="faq-delete-collection-error" />
        </section>
      )}
    </>
  );
}

function FaqRow(props: { item: FaqItem; path: string; projectId: string; writer: boolean; onChanged: () => void }) {
  const api = useApi();
  const [editing, setEditing] = useState(false);
  const [question, setQuestion] = useState(props.item.question);
  const [answer, setAnswer] = useState(props.item.answer);
  const save = useAction(async () => {
    await api.project<FaqItem>(props.projectId, props.path, { method: "PATCH", body: { question: question.trim(), answer: answer.trim() } });
    setEditing(false);
    props.onChanged();
  });
  const remove = useAction(async () => {
    await api.project<void>(props.projectId, props.path, { method: "DELETE" });
    props.onChanged();
  });
  if (editing) {
    return (
      <form class="faq-edit" onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="faq-edit-form">
        <input type="text" aria-label="Question" maxLength={1000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} data-testid="faq-edit-question" />
        <textarea aria-label="Answer" rows={3} maxLength={8000} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} data-testid="faq-edit-answer" />
        <div class="row">
          <button type="submit" disabled={save.pending || !question.trim() || !answer.trim()} data-testid="faq-edit-save">Save</button>
          <button type="button" class="secondary" onClick={() => { setEditing(false); setQuestion(props.item.question); setAnswer(props.item.answer); save.clear(); }}>Cancel</button>
        </div>
        <ErrorText error={save.error} testId="faq-edit-error" />
      </form>
    );
  }
  return (
    <div data-testid="faq-item">
      <div class="faq-question" data-testid="faq-item-question">{props.item.question}</div>
      <div class="faq-answer" data-testid="faq-item-answer">{props.item.answer}</div>
      {props.writer && (
        <div class="row">
          <button type="button" class="link" onClick={() => setEditing(true)} data-testid="faq-edit">Edit</button>
          <button type="button" class="link" disabled={remove.pending} onClick={() => void remove.run()} data-testid="faq-delete">Delete</button>
        </div>
      )}
      <ErrorText error={remove.error} testId="faq-delete-error" />
    </div>
  );
}
