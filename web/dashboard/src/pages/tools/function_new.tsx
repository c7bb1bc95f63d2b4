// A new function: the fields and the schema editor; an explicit function's signing secret is shown
// once, here, right after it is made. A refused save keeps everything typed, the API's words beside it.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorText } from "../../shell/errors";
import { useAction } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { Link, navigate } from "../../shell/router";
import { useApi } from "../../shell/session";
import { FunctionFields, bodyOf, type FunctionDraft } from "./function_form";
import { SecretOnce } from "./secret_once";
import { STARTER_SCHEMA, type FunctionItem } from "./types";
import "./tools.css";

export function NewFunctionPage({ params }: PageProps) {
  const api = useApi();
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/tools`;
  const [draft, setDraft] = useState<FunctionDraft>({ name: "", description: "", schemaText: STARTER_SCHEMA, schemaValid: true, flow: "implicit", url: "", prompt: "" });
  const [created, setCreated] = useState<FunctionItem | null>(null);
  const create = useAction(async () => {
    setCreated(await api.project<FunctionItem>(params.projectId, "/public/functions", { method: "POST", body: bodyOf(draft) }));
  });
  if (created) {
    return (
      <>
        <PageHeader title={`Function ${created.data.name} created`} />
        {created.signingSecret
          ? <SecretOnce secret={created.signingSecret} onDismiss={() => navigate(`${base}/${created.id}`)} />
          : <p class="card ok" data-testid="function-created">Created. The connected client answers its calls (implicit).</p>}
        <p><Link to={`${base}/${created.id}`} data-testid="function-created-link">Open {created.data.name}</Link> · <Link to={base}>All tools</Link></p>
      </>
    );
  }
  return (
    <>
      <PageHeader title="New function" />
      <form class="card" onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="new-function-form">
        <FunctionFields draft={draft} onChange={setDraft} />
        <div class="row">
          <button type="submit" disabled={create.pending || !draft.schemaValid || !draft.name.trim()} data-testid="create-function">Create function</button>
          <button type="button" class="secondary" onClick={() => navigate(base)}>Cancel</button>
        </div>
        <ErrorText error={create.error} testId="create-function-error" />
      </form>
    </>
  );
}
