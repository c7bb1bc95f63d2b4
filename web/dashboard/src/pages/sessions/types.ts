// The Sessions API's answers as the pages read them (api/sessions.py, shared/sessions/views.py):
// times are seconds since the Unix epoch, costs USD (null while a session is live).

export type SessionStatus = "pending" | "started" | "closed" | "failed";
export type Dimension = "byo_llm_minutes" | "hosted_llm_minutes";

export interface SessionSummary {
  id: string;
  companionId: string | null;
  agentId: string | null;
  externalClientId: string | null;
  tags: Record<string, string>;
  sessionType: string;
  modality: "audio" | "text";
  status: SessionStatus;
  closeReason: string | null;
  endReason: string | null;
  cost: number | null;
  billedMinutes: number;
  dimension: Dimension | null;
  createdAt: number;
  startedAt: number | null;
  closedAt: number | null;
}

/** A cited knowledge passage (the `completed` message's citations; `text` cut to 400 characters). */
export interface Citation {
  index?: number;
  documentId?: string | null;
  title?: string | null;
  url?: string | null;
  chunk?: number;
  text?: string | null;
}

export interface ConversationItem {
  role: "agent" | "user";
  text: string;
  timestamp: number;
  turnId: string;
  interrupted: boolean;
  citations?: Citation[];
}

export interface ToolCall {
  call_id?: string;
  name?: string;
  arguments?: unknown;
  result?: unknown;
  error?: string | null;
  duration_ms?: number;
  attempts?: number;
}

export interface SessionDetail extends SessionSummary {
  conversation: { items: ConversationItem[] };
  toolCalls: ToolCall[];
}

export interface AgentSummary {
  id: string;
  name?: string | null;
}

export const STATUSES: SessionStatus[] = ["pending", "started", "closed", "failed"];
export const SESSION_TYPES = ["websocket", "webrtc", "voip", "sip", "kiosk"];
