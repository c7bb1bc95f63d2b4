// The connection token: base64 of UTF-8 JSON (both the `webrtc` and the `websocket` forms are read;
// a websocket token has no companion, so the avatar is a placeholder).
import type { AvatarView, ConnectionToken } from "./index";

const VIEWS: readonly AvatarView[] = ["round", "rectangle", "silhouette"];

export function decodeToken(token: string): ConnectionToken {
  let parsed: unknown;
  try {
    const binary = atob(token.trim());
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error("Omniagent: the token is not a connection token (base64 of JSON).");
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as ConnectionToken).url !== "string") {
    throw new Error("Omniagent: the connection token has no socket url.");
  }
  return parsed as ConnectionToken;
}

export function sessionIdOf(token: ConnectionToken): string {
  return token.sessionId ?? token.connection?.id ?? "";
}

export function isView(value: unknown): value is AvatarView {
  return typeof value === "string" && (VIEWS as readonly string[]).includes(value);
}

export function viewOf(token: ConnectionToken, requested: AvatarView | undefined): AvatarView {
  if (isView(requested)) return requested;
  if (isView(token.view)) return token.view;
  if (isView(token.companion?.defaultView)) return token.companion.defaultView;
  return "round";
}

/** True once the token's expiry has passed (a token without one never expires here). */
export function expired(token: ConnectionToken, now: number = Date.now()): boolean {
  if (!token.expiresAt) return false;
  const at = Date.parse(token.expiresAt);
  return Number.isFinite(at) && at <= now;
}
