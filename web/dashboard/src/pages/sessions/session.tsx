// One session: what it was (status, channel, agent, end user, tags), how long it lasted, what it cost
// (billed minutes, the cost at its dimension's price per minute, from GET /public/usage's prices), its
// transcript (the conversation's items, with their citations where the answer cited passages) and
// the audit of its tool calls.
import type { PageProps } from "../../routes";
import { ErrorBanner } from "../../shell/errors";
import { useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { Link } from "../../shell/router";
import { useApi } from "../../shell/session";
import { DIMENSION_LABELS, at, money, sessionDuration } from "./format";
import type { Citation, ConversationItem, SessionDetail, ToolCall } from "./types";
import "./sessions.css";

interface Prices {
  currency: string;
  prices: { dimension: string; pricePerMinute: number }[];
}

export function SessionPage({ params }: PageProps) {
  const api = useApi();
  const { projectId, sessionId } = params;
  const base = `/orgs/${params.orgId}/projects/${projectId}`;
  const loaded = useLoad(async () => {
    const path = `/public/sessions/${encodeURIComponent(sessionId)}`;
    const [session, usage] = await Promise.all([
      api.project<SessionDetail>(projectId, path),
      api.project<Prices>(projectId, "/public/usage?granularity=hour"),
    ]);
    return { session, usage };
  }, [projectId, sessionId]);

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} testId="session-error" />;
  if (!loaded.data) return <p class="muted">Loading…</p>;
  const { session, usage } = loaded.data;
  const price = usage.prices.find((p) => p.dimension === session.dimension);
  return (
    <>
      <PageHeader
        title={<>Session <code data-testid="session-id">{session.id}</code></>}
        intro={<Link to={`${base}/sessions`} data-testid="back-to-sessions">← All sessions</Link>}
      />
      <div class="session-grid">
        <div>
          <section class="card">
            <h2>Transcript</h2>
            <Transcript items={session.conversation.items} />
          </section>
          <section class="card">
            <h2>Tool calls</h2>
            <ToolCalls calls={session.toolCalls} />
          </section>
        </div>
        <div>
          <section class="card">
            <h2>Cost</h2>
            <dl class="facts" data-testid="session-cost">
              <dt>Duration</dt>
              <dd data-testid="session-duration">{sessionDuration(session.startedAt, session.closedAt)}</dd>
              <dt>Billed minutes</dt>
              <dd data-testid="session-billed-minutes">{session.billedMinutes}</dd>
              <dt>Cost</dt>
              <dd data-testid="session-cost-value">
                {session.cost === null ? <span class="muted">when it ends</span> : money(session.cost)}
              </dd>
              <dt>Dimension</dt>
              <dd data-testid="session-dimension">
                {session.dimension ? DIMENSION_LABELS[session.dimension] ?? session.dimension : <span class="muted">none</span>}
              </dd>
              <dt>Price</dt>
              <dd data-testid="session-price">
                {price ? `${money(price.pricePerMinute)} per active minute` : <span class="muted">—</span>}
              </dd>
            </dl>
            <p class="hint">
              The cost is the session's active time at its dimension's price; billed minutes count every started minute.
            </p>
          </section>
          <section class="card">
            <h2>Details</h2>
            <dl class="facts" data-testid="session-facts">
              <dt>Status</dt>
              <dd data-testid="session-status">{session.status}{session.closeReason ? ` (${session.closeReason})` : ""}</dd>
              <dt>Channel</dt>
              <dd>{session.sessionType} · {session.modality}</dd>
              <dt>Agent</dt>
              <dd>{session.agentId ? <code>{session.agentId}</code> : <span class="muted">per-session</span>}</dd>
              <dt>Companion</dt>
              <dd>{session.companionId ? <code>{session.companionId}</code> : "—"}</dd>
              <dt>End user</dt>
              <dd data-testid="session-client">{session.externalClientId || "—"}</dd>
              <dt>Tags</dt>
              <dd>{Object.entries(session.tags).map(([k, v]) => `${k}:${v}`).join(", ") || "—"}</dd>
              <dt>Created</dt>
              <dd>{at(session.createdAt)}</dd>
              <dt>Connected</dt>
              <dd>{at(session.startedAt)}</dd>
              <dt>Ended</dt>
              <dd>{at(session.closedAt)}</dd>
            </dl>
          </section>
        </div>
      </div>
    </>
  );
}

function Transcript({ items }: { items: ConversationItem[] }) {
  if (items.length === 0) return <p class="muted" data-testid="transcript-empty">Nothing was said in this session.</p>;
  return (
    <ol class="transcript" data-testid="transcript">
      {items.map((item, index) => (
        <li key={`${item.turnId}-${index}`} class={item.role} data-testid={`transcript-${item.role}`}>
          <div class="who-said">
            {item.role === "agent" ? "Agent" : "User"} · {at(item.timestamp)}
            {item.interrupted && <span class="badge warn"> interrupted</span>}
          </div>
          <p data-testid="transcript-text">{item.text}</p>
          {item.citations && item.citations.length > 0 && <Citations citations={item.citations} />}
        </li>
      ))}
    </ol>
  );
}

function Citations({ citations }: { citations: Citation[] }) {
  return (
    <ol class="citations" data-testid="citations">
      {citations.map((citation, index) => {
        const number = typeof citation.index === "number" ? citation.index : index + 1;
        const title = citation.title || citation.url || citation.documentId || "Passage";
        return (
          <li key={index} value={number} data-testid="citation">
            <strong>{citation.url ? <a href={citation.url} target="_blank" rel="noreferrer">{title}</a> : title}</strong>
            {citation.text && <span class="muted"> “{citation.text}”</span>}
          </li>
        );
      })}
    </ol>
  );
}

function ToolCalls({ calls }: { calls: ToolCall[] }) {
  if (calls.length === 0) return <p class="muted" data-testid="tool-calls-empty">No tool was called.</p>;
  return (
    <table class="table" data-testid="tool-calls">
      <thead>
        <tr>
          <th scope="col">Tool</th>
          <th scope="col">Arguments</th>
          <th scope="col">Result</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((call, index) => (
          <tr key={call.call_id ?? index} data-testid="tool-call">
            <td><code>{call.name}</code></td>
            <td><pre class="json">{JSON.stringify(call.arguments ?? {}, null, 1)}</pre></td>
            <td>
              {call.error
                ? <span class="error" data-testid="tool-call-error">{call.error}</span>
                : <pre class="json" data-testid="tool-call-result">{JSON.stringify(call.result, null, 1)}</pre>}
            </td>
            <td class="number">
              {Math.round(call.duration_ms ?? 0)} ms
              {call.attempts && call.attempts > 1 ? ` · ${call.attempts} attempts` : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
