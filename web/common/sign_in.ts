// Who is signed in, and their bearer token, for the app's own pages (the Playground, the dashboard).
// Locally: the dev token (POST /manage/dev/token), kept in sessionStorage (this tab only, gone when it
// closes; never localStorage), one sign-in for both pages of the tab. In Azure: Entra ID through MSAL
// (./entra.ts), whose own cache is sessionStorage too. `email` and `name` are for display: the app
// knows users by their token's stable subject.

import { call } from "./api";

export type SignInMode = "local" | "entra";

export interface EntraConfig {
  clientId: string;
  authority: string;
  scopes: string[];
}

/** GET /public/web-config: how this deployment signs in. */
export interface WebConfig {
  signIn: SignInMode;
  entra: EntraConfig | null;
}

export interface SignedIn {
  mode: SignInMode;
  email: string;
  name: string;
  /** A bearer token valid now (MSAL renews Entra tokens silently). */
  accessToken(): Promise<string>;
  signOut(): Promise<void>;
}

const LOCAL_KEY = "omniagent.playground.localSignIn"; // the Playground's name, kept: tabs signed in before stay so

interface StoredLocal {
  email: string;
  name: string;
  token: string;
}

export function readWebConfig(): Promise<WebConfig> {
  return call<WebConfig>("/public/web-config");
}

export async function signInLocally(email: string, name: string): Promise<SignedIn> {
  const body: Record<string, string> = { email };
  if (name) body.name = name;
  const answer = await call<{ token: string }>("/manage/dev/token", { method: "POST", body });
  const stored: StoredLocal = { email: email.trim().toLowerCase(), name: name || email.split("@")[0], token: answer.token };
  sessionStorage.setItem(LOCAL_KEY, JSON.stringify(stored));
  return localSignedIn(stored);
}

/** The local sign-in this tab already has, unless its token has expired. */
export function restoreLocal(): SignedIn | null {
  const text = sessionStorage.getItem(LOCAL_KEY);
  if (!text) return null;
  try {
    const stored = JSON.parse(text) as StoredLocal;
    if (secondsLeft(stored.token) > 60) return localSignedIn(stored);
  } catch {
    // unreadable: sign in again
  }
  sessionStorage.removeItem(LOCAL_KEY);
  return null;
}

function localSignedIn(stored: StoredLocal): SignedIn {
  return {
    mode: "local",
    email: stored.email,
    name: stored.name,
    accessToken: async () => stored.token,
    signOut: async () => sessionStorage.removeItem(LOCAL_KEY),
  };
}

/** Seconds until a JWT's `exp` (0 when it has none or cannot be read). Not a check of the signature:
 * the app does that; this only avoids offering a token that has run out. */
export function secondsLeft(jwt: string): number {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload)) as { exp?: number };
    return typeof claims.exp === "number" ? claims.exp - Date.now() / 1000 : 0;
  } catch {
    return 0;
  }
}
