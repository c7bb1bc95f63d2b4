// The project's agents (Omniagents): each a companion with a voice, tools, knowledge and FAQs; open any
// of them in the Playground in one click.
import type { PageProps } from "../../routes";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { OpenInPlayground } from "./playground_link";
import type { Agent } from "./types";
import "./agents.css";

export function AgentsPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/agents`;
  return (
    <>
      <PageHeader
        title="Agents"
        intro="An agent puts a companion, a voice, tools, knowledge and FAQs together with its model settings; channels may override them."
        actions={writer && <Link to={`${base}/new`} class="button" data-testid="new-agent">New agent</Link>}
      />
      <section class="card">
        <PagedList<Agent>
          testId="agents"
          load={(index, size) => api.page<Agent>("/public/agents", index, size, params.projectId)}
          rowKey={(agent) => agent.id}
          empty={<p>No agents yet{writer ? ": assemble the first one." : "."}</p>}
          columns={[
            { label: "Name", cell: (a) => <Link to={`${base}/${a.id}`} data-testid="agent-link">{a.name || a.id}</Link> },
            { label: "Voice", cell: (a) => a.voiceId },
            { label: "Tools", className: "number", cell: (a) => a.functions.length },
            { label: "FAQs", className: "number", cell: (a) => a.faqCollections.length },
            { label: "Knowledge", cell: (a) => (a.knowledgeBaseId ? "yes" : "—") },
            { label: "", cell: (a) => <OpenInPlayground orgId={params.orgId} projectId={params.projectId} agentId={a.id} /> },
          ]}
        />
      </section>
    </>
  );
}
