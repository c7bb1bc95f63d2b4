// The project's functions (tools): the model calls them; the client (implicit) or your endpoint
// (explicit) answers.
import type { PageProps } from "../../routes";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import type { FunctionItem } from "./types";
import "./tools.css";

export function FunctionsPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/tools`;
  return (
    <>
      <PageHeader
        title="Tools"
        intro="Functions the model may call during a session, each with a JSON Schema of its arguments."
        actions={writer && <Link to={`${base}/new`} class="button" data-testid="new-function">New function</Link>}
      />
      <section class="card">
        <PagedList<FunctionItem>
          testId="functions"
          load={(index, size) => api.page<FunctionItem>("/public/functions", index, size, params.projectId)}
          rowKey={(fn) => fn.id}
          empty={<p>No functions yet{writer ? ": create one (for example get_weather)." : "."}</p>}
          columns={[
            { label: "Name", cell: (fn) => <Link to={`${base}/${fn.id}`} data-testid="function-link"><code>{fn.data.name}</code></Link> },
            { label: "Runs", cell: (fn) => (fn.flow === "implicit" ? "In the client (implicit)" : <>At <code>{fn.url}</code> (explicit{fn.hasSigningSecret ? ", signed" : ""})</>) },
            { label: "Description", cell: (fn) => <span class="hint">{fn.data.description}</span> },
          ]}
        />
      </section>
    </>
  );
}
