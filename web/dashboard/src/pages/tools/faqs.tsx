// FAQ collections: question and answer lists an agent answers from word for word.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link, navigate } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { FaqCollection } from "./types";
import "./tools.css";

export function FaqsPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/faqs`;
  const [name, setName] = useState("");
  const create = useAction(async () => {
    const created = await api.project<FaqCollection>(params.projectId, "/public/faqs", { method: "POST", body: { name: name.trim() } });
    navigate(`${base}/${created.id}`);
  });
  return (
    <>
      <PageHeader title="FAQs" intro="Collections of questions with their answers: an agent with a collection gives these answers when asked." />
      {writer && (
        <form class="card" onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="create-faq-collection">
          <label for="faq-collection-name">New FAQ collection</label>
          <div class="row">
            <input id="faq-collection-name" type="text" maxLength={200} value={name} placeholder="Opening hours and bookings" style="flex:1"
                   onInput={(e) => setName(e.currentTarget.value)} data-testid="faq-collection-name" />
            <button type="submit" disabled={create.pending || !name.trim()} data-testid="create-faq-collection-submit">Create</button>
          </div>
          <ErrorText error={create.error} testId="create-faq-collection-error" />
        </form>
      )}
      <section class="card">
        <PagedList<FaqCollection>
          testId="faq-collections"
          load={(index, size) => api.page<FaqCollection>("/public/faqs", index, size, params.projectId)}
          rowKey={(collection) => collection.id}
          empty={<p>No FAQ collections yet.</p>}
          columns={[
            { label: "Name", cell: (c) => <Link to={`${base}/${c.id}`} data-testid="faq-collection-link">{c.name}</Link> },
            { label: "Questions", className: "number", cell: (c) => c.items.length },
            { label: "Created", cell: (c) => new Date(c.created * 1000).toLocaleString() },
          ]}
        />
      </section>
    </>
  );
}
