// The sign-in page, before anything else: locally the dev sign-in (POST /manage/dev/token, marked as
// development only), in Azure Entra ID through MSAL. The same sign-in code as the Playground's; the
// choice comes from GET /public/web-config.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import type { EntraSignIn } from "../../../common/entra";
import {
  readWebConfig,
  restoreLocal,
  signInLocally,
  type SignedIn,
  type WebConfig,
} from "../../../common/sign_in";
import { messageOf } from "./api";
import { ErrorText } from "./errors";
import { SessionProvider } from "./session";

type Phase =
  | { kind: "loading" }
  | { kind: "config-failed"; error: string }
  | { kind: "signed-out"; config: WebConfig; entra: EntraSignIn | null; note: string | null }
  | { kind: "signed-in"; user: SignedIn; config: WebConfig; entra: EntraSignIn | null };

/** Renders the sign-in page until someone is signed in, then `children` within their session. */
export function SignInGate({ children }: { children: ComponentChildren }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });

  useEffect(() => {
    (async () => {
      const config = await readWebConfig();
      if (config.signIn === "local") {
        const restored = restoreLocal();
        setPhase(restored ? { kind: "signed-in", user: restored, config, entra: null } : { kind: "signed-out", config, entra: null, note: null });
        return;
      }
      if (!config.entra) {
        setPhase({ kind: "signed-out", config, entra: null, note: null });
        return;
      }
      const { EntraSignIn } = await import("../../../common/entra"); // MSAL only where used
      const entra = await EntraSignIn.create(config.entra, { signedOut: "/dashboard" });
      const current = entra.current();
      setPhase(current ? { kind: "signed-in", user: current, config, entra } : { kind: "signed-out", config, entra, note: null });
    })().catch((failure: unknown) => setPhase({ kind: "config-failed", error: messageOf(failure) }));
  }, []);

  const signedOut = useCallback(
    (note: string | null) =>
      setPhase((now) => (now.kind === "signed-in" ? { kind: "signed-out", config: now.config, entra: now.entra, note } : now)),
    [],
  );

  if (phase.kind === "loading") return <p class="loading">Reading how this deployment signs in…</p>;
  if (phase.kind === "config-failed") {
    return (
      <SignInFrame>
        <ErrorText testId="config-error" error={`Could not read how to sign in: ${phase.error}`} />
      </SignInFrame>
    );
  }
  if (phase.kind === "signed-in") {
    return (
      <SessionProvider user={phase.user} onSignedOut={signedOut}>
        {children}
      </SessionProvider>
    );
  }
  const signedIn = (user: SignedIn) => setPhase({ kind: "signed-in", user, config: phase.config, entra: phase.entra });
  return (
    <SignInFrame>
      {phase.note && <p class="notice" data-testid="sign-in-note">{phase.note}</p>}
      {phase.config.signIn === "local" ? (
        <LocalSignIn onSignedIn={signedIn} />
      ) : phase.entra ? (
        <EntraButtons entra={phase.entra} onSignedIn={signedIn} />
      ) : (
        <ErrorText
          testId="config-error"
          error="This deployment has no Entra ID sign-in configured (OMNI_AUTH_ISSUER and OMNI_AUTH_AUDIENCE are unset), so nobody can sign in."
        />
      )}
    </SignInFrame>
  );
}

function SignInFrame({ children }: { children: ComponentChildren }) {
  return (
    <main class="sign-in-page">
      <section class="card sign-in-card" aria-labelledby="sign-in-title" data-testid="sign-in">
        <h1 id="sign-in-title">
          Omniagent <span class="muted">Dashboard</span>
        </h1>
        <p class="hint">Organizations, projects, API keys, companions, knowledge, tools, agents and usage.</p>
        {children}
      </section>
    </main>
  );
}

function LocalSignIn({ onSignedIn }: { onSignedIn: (user: SignedIn) => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    signInLocally(email.trim(), name.trim())
      .then(onSignedIn, (failure: unknown) => setError(`Sign-in failed: ${messageOf(failure)}`))
      .finally(() => setPending(false));
  };
  return (
    <form onSubmit={submit} data-testid="local-sign-in">
      <p class="badge warn" data-testid="local-badge">Local sign-in (development only)</p>
      <p class="hint">
        The local stack has no identity provider: name yourself and the app mints a development token
        (<code>POST /manage/dev/token</code>). In Azure this is Entra ID instead.
      </p>
      <label for="local-email">Email</label>
      <input id="local-email" type="email" autocomplete="email" required placeholder="you@example.com"
             value={email} onInput={(e) => setEmail(e.currentTarget.value)} data-testid="local-email" />
      <label for="local-name">Display name <span class="muted">(optional)</span></label>
      <input id="local-name" type="text" autocomplete="name" value={name}
             onInput={(e) => setName(e.currentTarget.value)} data-testid="local-name" />
      <button type="submit" disabled={pending} data-testid="local-submit">Sign in locally</button>
      <ErrorText testId="local-error" error={error} />
    </form>
  );
}

function EntraButtons({ entra, onSignedIn }: { entra: EntraSignIn; onSignedIn: (user: SignedIn) => void }) {
  const [error, setError] = useState<string | null>(null);
  const failed = (failure: unknown) => setError(`Sign-in failed: ${messageOf(failure)}`);
  return (
    <div data-testid="entra-sign-in">
      <p class="hint">Sign in with your work account (Microsoft Entra ID).</p>
      <div class="row">
        <button type="button" onClick={() => entra.popup().then(onSignedIn, failed)}>Sign in with Microsoft</button>
        <button type="button" class="secondary" onClick={() => entra.redirect().catch(failed)}>Sign in in this tab</button>
      </div>
      <ErrorText testId="entra-error" error={error} />
    </div>
  );
}
