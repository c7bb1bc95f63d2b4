// One agent: open it in the Playground, change what it is made of, its per-channel settings, delete it.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useAction, useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { navigate } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { AgentFields, agentBody, draftOf, type AgentDraft } from "./agent_fields";
import { ChannelSettings } from "./channel_settings";
import { loadChoices } from "./choices";
import { OpenInPlayground } from "./playground_link";
import type { Agent } from "./types";
import "./agents.css";

export function AgentPage({ params }: PageProps) {
  const api = useApi();
  const writer = useScope().can("manageResources");
  const path = `/public/agents/${encodeURIComponent(params.agentId)}`;
  const loaded = useLoad(async () => {
    const [agent, choices] = await Promise.all([api.project<Agent>(params.projectId, path), loadChoices(api, params.projectId)]);
    return { agent, choices };
  }, [path]);
  const [agent, setAgent] = useState<Agent | null>(null);
  const [draft, setDraft] = useState<AgentDraft | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.data) {
      setAgent(loaded.data.agent);
      setDraft(draftOf(loaded.data.agent));
    }
  }, [loaded.data]);
  const save = useAction(async () => {
    setSaved(false);
    setAgent(await api.project<Agent>(params.projectId, path, { method: "PATCH", body: agentBody(draft!) }));
    setSaved(true);
  });
  const remove = useAction(async () => {
    await api.project<void>(params.projectId, path, { method: "DELETE" });
    navigate(`/orgs/${params.orgId}/projects/${params.projectId}/agents`);
  });
  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  if (!agent || !draft || !loaded.data) return <p class="muted">Loading…</p>;
  const choices = loaded.data.choices;
  return (
    <>
      <PageHeader title={agent.name || agent.id} intro={`Agent · ${agent.id}`}
                  actions={<OpenInPlayground orgId={params.orgId} projectId={params.projectId} agentId={agent.id} primary />} />
      <form class="card" onSubmit={(e) => { e.preventDefault(); void save.run(); }} data-testid="agent-form">
        <AgentFields draft={draft} onChange={(next) => { setDraft(next); setSaved(false); }} choices={choices} projectId={params.projectId} disabled={!writer} />
        {writer && <button type="submit" disabled={save.pending || !draft.companionId || !draft.voiceId} data-testid="save-agent">Save</button>}
        {saved && <p class="ok" data-testid="agent-saved">Saved.</p>}
        <ErrorText error={save.error} testId="save-agent-error" />
      </form>
      <ChannelSettings agent={agent} choices={choices} projectId={params.projectId} writer={writer} />
      {writer && (
        <section class="card danger-zone">
          <h2>Delete this agent</h2>
          <p class="hint">It stops answering on every channel, and its channel settings go too.</p>
          <button type="button" class="danger" disabled={remove.pending} onClick={() => void remove.run()} data-testid="delete-agent">Delete agent</button>
          <ErrorText error={remove.error} testId="delete-agent-error" />
        </section>
      )}
    </>
  );
}
