// A project's sessions, newest first, filtered as GET /public/sessions filters them (status,
// transport, agent, end user, a creation window by UTC day, tags, free text) and paged. Each row
// opens the session's page (session.tsx). A filter the API refuses (400) is named in words beside
// the filters, which keep what was typed.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ApiError, everything, messageOf } from "../../shell/api";
import { ErrorText } from "../../shell/errors";
import { useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useApi } from "../../shell/session";
import { at, dayStartUtc, money, sessionDuration } from "./format";
import { SESSION_TYPES, STATUSES, type AgentSummary, type SessionSummary } from "./types";
import "./sessions.css";

interface Filters {
  status: string;
  sessionType: string;
  agentId: string;
  externalClientId: string;
  fromDay: string; // YYYY-MM-DD (UTC days)
  toDay: string; // inclusive
  tags: string;
  search: string;
}

const NO_FILTERS: Filters = {
  status: "",
  sessionType: "",
  agentId: "",
  externalClientId: "",
  fromDay: "",
  toDay: "",
  tags: "",
  search: "",
};

/** The list's query string for `filters` (empty ones left out; the "to" day is included whole). */
export function sessionQuery(filters: Filters): string {
  const query = new URLSearchParams();
  const put = (name: string, value: string) => value.trim() && query.set(name, value.trim());
  put("status", filters.status);
  put("sessionType", filters.sessionType);
  put("agentId", filters.agentId);
  put("externalClientId", filters.externalClientId);
  put("from", dayStartUtc(filters.fromDay));
  put("to", dayStartUtc(filters.toDay, 1));
  put("tags", filters.tags);
  put("search", filters.search);
  return query.toString();
}

export function SessionsPage({ params }: PageProps) {
  const api = useApi();
  const projectId = params.projectId;
  const base = `/orgs/${params.orgId}/projects/${projectId}`;
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [listError, setListError] = useState<unknown>(null);
  const agents = useLoad(() => everything<AgentSummary>(api, "/public/agents", projectId), [projectId]);
  const agentName = (id: string | null) => {
    if (!id) return <span class="muted">per-session</span>;
    const agent = agents.data?.find((a) => a.id === id);
    return agent?.name || <code>{id}</code>;
  };
  const query = sessionQuery(applied);

  const field = (name: keyof Filters) => ({
    value: draft[name],
    onInput: (event: JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement>) =>
      setDraft({ ...draft, [name]: event.currentTarget.value }),
  });
  const apply = (event: Event) => {
    event.preventDefault();
    setListError(null);
    setApplied({ ...draft });
  };
  const clear = () => {
    setListError(null);
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
  };

  return (
    <>
      <PageHeader
        title="Sessions"
        intro="Every conversation of this project, newest first: open one for its transcript, tool calls and cost."
      />
      <form class="card session-filters" onSubmit={apply} data-testid="session-filters">
        <label>
          Status
          <select {...field("status")} data-testid="filter-status">
            <option value="">Any</option>
            {STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
          </select>
        </label>
        <label>
          Channel
          <select {...field("sessionType")} data-testid="filter-channel">
            <option value="">Any</option>
            {SESSION_TYPES.map((type) => <option key={type} value={type}>{type}</option>)}
          </select>
        </label>
        <label>
          Agent
          <select {...field("agentId")} data-testid="filter-agent">
            <option value="">Any</option>
            {(agents.data ?? []).map((agent) => (
              <option key={agent.id} value={agent.id}>{agent.name || agent.id}</option>
            ))}
          </select>
        </label>
        <label>
          End user (externalClientId)
          <input type="text" {...field("externalClientId")} data-testid="filter-client" />
        </label>
        <label>
          Created from (UTC day)
          <input type="date" {...field("fromDay")} data-testid="filter-from" />
        </label>
        <label>
          to (UTC day, included)
          <input type="date" {...field("toDay")} data-testid="filter-to" />
        </label>
        <label>
          Tags
          <input type="text" placeholder="env:prod,channel:web" {...field("tags")} data-testid="filter-tags" />
        </label>
        <label>
          Search
          <input type="text" placeholder="id, tag, status…" {...field("search")} data-testid="filter-search" />
        </label>
        <div class="row filter-actions">
          <button type="submit" data-testid="filter-apply">Apply filters</button>
          <button type="button" class="secondary" onClick={clear} data-testid="filter-clear">Clear</button>
        </div>
        {agents.error ? <ErrorText error={`The agents could not be listed: ${messageOf(agents.error)}`} /> : null}
        <ErrorText error={listError} testId="filter-error" />
      </form>
      <section class="card">
        <PagedList<SessionSummary>
          testId="sessions"
          resetKey={query}
          load={async (index, size) => {
            try {
              return await api.page<SessionSummary>(`/public/sessions${query ? `?${query}` : ""}`, index, size, projectId);
            } catch (failure) {
              if (!(failure instanceof ApiError && failure.status === 400)) throw failure;
              setListError(failure); // a refused filter: said beside the filters, once
              return { items: [], totalCount: 0, pageIndex: index, pageSize: size };
            }
          }}
          rowKey={(session) => session.id}
          empty={listError ? <p>Nothing listed: the filters above were refused.</p>
            : query ? <p>No session matches these filters.</p>
            : <p>No sessions yet: open an agent in the Playground to have one.</p>}
          columns={[
            {
              label: "Session",
              cell: (s) => <Link to={`${base}/sessions/${s.id}`} data-testid="session-link"><code>{s.id}</code></Link>,
            },
            { label: "Created", cell: (s) => at(s.createdAt) },
            { label: "Status", cell: (s) => <span class={`badge status-${s.status}`} data-testid="session-status">{s.status}</span> },
            { label: "Channel", cell: (s) => s.sessionType },
            { label: "Agent", cell: (s) => agentName(s.agentId) },
            { label: "End user", cell: (s) => s.externalClientId || <span class="muted">—</span> },
            { label: "Duration", cell: (s) => sessionDuration(s.startedAt, s.closedAt) },
            { label: "Billed min", cell: (s) => s.billedMinutes, className: "number" },
            { label: "Cost", cell: (s) => money(s.cost), className: "number" },
          ]}
        />
      </section>
    </>
  );
}
