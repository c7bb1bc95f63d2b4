// Assembling a new agent from the project's companions, the key's voices, its tools, knowledge and FAQs.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { useApi } from "../../shell/session";
import { AgentFields, EMPTY_AGENT, agentBody, type AgentDraft } from "./agent_fields";
import { loadChoices } from "./choices";
import type { Agent } from "./types";
import "./agents.css";

export function NewAgentPage({ params }: PageProps) {
  const api = useApi();
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/agents`;
  const choices = useLoad(() => loadChoices(api, params.projectId), [params.projectId]);
  const [draft, setDraft] = useState<AgentDraft>(EMPTY_AGENT);
  const create = useAction(async () => {
    const agent = await api.project<Agent>(params.projectId, "/public/agents", { method: "POST", body: agentBody(draft) });
    navigate(`${base}/${agent.id}`);
  });
  if (choices.error) return <ErrorBanner error={choices.error} onRetry={choices.reload} />;
  if (!choices.data) return <p class="muted">Loading the project's companions, voices, tools, knowledge and FAQs…</p>;
  return (
    <>
      <PageHeader title="New agent" />
      <form class="card" onSubmit={(e) => { e.preventDefault(); void create.run(); }} data-testid="new-agent-form">
        <AgentFields draft={draft} onChange={setDraft} choices={choices.data} projectId={params.projectId} />
        <div class="row">
          <button type="submit" disabled={create.pending || !draft.companionId || !draft.voiceId} data-testid="create-agent">Create agent</button>
          <button type="button" class="secondary" onClick={() => navigate(base)}>Cancel</button>
        </div>
        <ErrorText error={create.error} testId="create-agent-error" />
      </form>
    </>
  );
}
