// One knowledge collection: upload files (drag and drop several at once, or the picker) and URLs, each
// file's ingestion as a live progress bar with its final status or error in words, and a search of
// what the collection holds (the passages an agent would be given).
import { useRef, useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { messageOf } from "../../shell/api";
import { FileProgress } from "./file_progress";
import { UPLOAD_RULES, type KnowledgeBase, type KnowledgeFile, type SearchResult } from "./types";
import "./knowledge.css";

interface Attempt {
  key: number;
  name: string;
  state: "sending" | "accepted" | "duplicate" | "refused";
  words: string;
}

export function CollectionPage({ params }: PageProps) {
  const api = useApi();
  const path = `/public/knowledge-bases/${encodeURIComponent(params.knowledgeBaseId)}`;
  const collection = useLoad(() => api.project<KnowledgeBase>(params.projectId, path), [path]);
  if (collection.error) return <ErrorBanner error={collection.error} onRetry={collection.reload} />;
  if (!collection.data) return <p class="muted">Loading…</p>;
  return <Collection kb={collection.data} projectId={params.projectId} />;
}

function Collection({ kb, projectId }: { kb: KnowledgeBase; projectId: string }) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const files = `/public/knowledge-bases/${encodeURIComponent(kb.id)}/files`;
  const [changes, setChanges] = useState(0);
  const [attempts, setAttempts] = useState<Attempt[]>([]);
  const counter = useRef(0);

  const send = async (name: string, request: () => Promise<KnowledgeFile>) => {
    const key = ++counter.current;
    const update = (state: Attempt["state"], words: string) =>
      setAttempts((all) => all.map((attempt) => (attempt.key === key ? { ...attempt, state, words } : attempt)));
    const fresh: Attempt = { key, name, state: "sending", words: "Sending…" };
    setAttempts((all) => [fresh, ...all].slice(0, 20));
    try {
      const file = await request();
      // A new file answers 201 queued; content already in the collection answers 200 with that file.
      const duplicate = file.status !== "queued";
      update(duplicate ? "duplicate" : "accepted", duplicate ? `Already in the collection as “${file.originalName}”.` : "Accepted: see its progress below.");
      setChanges((n) => n + 1);
    } catch (failure) {
      update("refused", messageOf(failure));
    }
  };
  const uploadFiles = (list: FileList | File[] | null | undefined) => {
    for (const file of Array.from(list ?? [])) {
      const form = new FormData();
      form.append("file", file, file.name);
      void send(file.name, () => api.upload<KnowledgeFile>(projectId, files, form));
    }
  };
  const [url, setUrl] = useState("");
  const addUrl = () => {
    const address = url.trim();
    if (!address) return;
    void send(address, () => api.project<KnowledgeFile>(projectId, files, { method: "POST", body: { url: address } }));
    setUrl("");
  };

  return (
    <>
      <PageHeader title={kb.name} intro={`Knowledge collection · ${kb.provider === "azureOpenAI" ? "Azure OpenAI" : "OpenAI-compatible"} embeddings · ${kb.id}`} />
      {writer && (
        <section class="card" aria-labelledby="upload-title">
          <h2 id="upload-title">Add documents</h2>
          <p class="hint" data-testid="upload-rules">{UPLOAD_RULES}</p>
          <FileDrop onFiles={uploadFiles} />
          <form class="row" style="margin-top:0.8rem" onSubmit={(e) => { e.preventDefault(); addUrl(); }} data-testid="url-upload-form">
            <label for="document-url" class="visually-hidden">Document URL</label>
            <input id="document-url" type="url" placeholder="https://example.com/handbook.pdf" value={url} style="flex:1"
                   onInput={(e) => setUrl(e.currentTarget.value)} data-testid="document-url" />
            <button type="submit" disabled={!url.trim()} data-testid="document-url-submit">Add from URL</button>
          </form>
          {attempts.length > 0 && (
            <ul class="upload-log" data-testid="upload-log" aria-live="polite">
              {attempts.map((attempt) => (
                <li key={attempt.key} data-testid="upload-attempt" data-state={attempt.state}>
                  <strong>{attempt.name}</strong>:{" "}
                  <span class={attempt.state === "refused" ? "error" : attempt.state === "sending" ? "muted" : "ok"}>{attempt.words}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <section class="card" aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        <PagedList<KnowledgeFile>
          testId="files"
          reloadKey={changes}
          load={(index, size) => api.page<KnowledgeFile>(files, index, size, projectId)}
          rowKey={(file) => file.id}
          empty={<p>No files yet{writer ? ": drop some above." : "."}</p>}
          columns={[
            { label: "File", cell: (f) => <span data-testid="file-name">{f.originalName}{f.title && f.title !== f.originalName && <span class="hint"> · {f.title}</span>}</span> },
            { label: "Ingestion", cell: (f) => <FileProgress file={f} projectId={projectId} /> },
            { label: "Size", className: "number", cell: (f) => (f.sizeBytes === null ? "—" : `${Math.max(1, Math.round(f.sizeBytes / 1024))} KB`) },
            ...(writer ? [{ label: "", cell: (f: KnowledgeFile) => <DeleteFile file={f} path={`${files}/${encodeURIComponent(f.id)}`} projectId={projectId} onDeleted={() => setChanges((n) => n + 1)} /> }] : []),
          ]}
        />
      </section>
      <Search kb={kb} projectId={projectId} />
    </>
  );
}

function FileDrop({ onFiles }: { onFiles: (files: FileList | null | undefined) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  return (
    <div class={`drop-zone${over ? " over" : ""}`} data-testid="files-drop-zone"
         onDragOver={(event) => { event.preventDefault(); setOver(true); }}
         onDragLeave={() => setOver(false)}
         onDrop={(event) => { event.preventDefault(); setOver(false); onFiles(event.dataTransfer?.files); }}>
      <p>Drop files here (several at once), or</p>
      <button type="button" class="secondary" onClick={() => input.current?.click()} data-testid="files-choose">Choose files…</button>
      <input ref={input} type="file" multiple class="visually-hidden" aria-label="Documents to upload" data-testid="files-input"
             accept=".pdf,.docx,.html,.htm,.md,.markdown,.txt,application/pdf,text/html,text/markdown,text/plain"
             onChange={(e) => { onFiles(e.currentTarget.files); e.currentTarget.value = ""; }} />
    </div>
  );
}

function DeleteFile(props: { file: KnowledgeFile; path: string; projectId: string; onDeleted: () => void }) {
  const api = useApi();
  const remove = useAction(async () => {
    await api.project<void>(props.projectId, props.path, { method: "DELETE" });
    props.onDeleted();
  });
  return (
    <div>
      <button type="button" class="link" disabled={remove.pending} onClick={() => void remove.run()} data-testid="file-delete">Delete</button>
      <ErrorText error={remove.error} testId="file-delete-error" />
    </div>
  );
}

function Search({ kb, projectId }: { kb: KnowledgeBase; projectId: string }) {
  const api = useApi();
  const [text, setText] = useState("");
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const search = useAction(async () => {
    const answer = await api.project<{ results: SearchResult[] }>(projectId, `/public/knowledge-bases/${encodeURIComponent(kb.id)}/search`, {
      method: "POST",
      body: { query: text.trim(), top: 5 },
    });
    setResults(answer.results);
  });
  return (
    <section class="card" aria-labelledby="search-title">
      <h2 id="search-title">Search this collection</h2>
      <p class="hint">The passages an agent with this collection would be given for a question, best first.</p>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void search.run(); }} data-testid="knowledge-search-form">
        <label for="knowledge-query" class="visually-hidden">Question</label>
        <input id="knowledge-query" type="text" maxLength={2000} value={text} placeholder="How do I reset the router?" style="flex:1"
               onInput={(e) => setText(e.currentTarget.value)} data-testid="knowledge-query" />
        <button type="submit" disabled={search.pending || !text.trim()} data-testid="knowledge-search">Search</button>
      </form>
      <ErrorText error={search.error} testId="knowledge-search-error" />
      {results && (results.length === 0
        ? <p class="empty" data-testid="knowledge-no-results">Nothing in the collection matches.</p>
        : (
          <ol class="search-results" data-testid="knowledge-results">
            {results.map((hit) => (
              <li key={`${hit.fileId}-${hit.chunk}`} data-testid="knowledge-result">
                <div class="where">{hit.title}{hit.headings.length ? ` › ${hit.headings.join(" › ")}` : ""}{hit.page ? ` · page ${hit.page}` : ""} · passage {hit.chunk + 1}</div>
                <p>{hit.text}</p>
              </li>
            ))}
          </ol>
        ))}
    </section>
  );
}
