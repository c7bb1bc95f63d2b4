// The Playground page: sign in, pick a project and an agent, set the advanced settings, talk.
import "../../common/theme.css";
import "./style.css";

import { messageOf } from "../../common/api";
import { Conversation } from "./conversation";
import { byId, showError } from "./dom";
import { Pickers, type Choice } from "./pickers";
import type { AvatarView } from "./sdk";
import { prefillFromAgent, readSettings } from "./settings_form";
import { readWebConfig, restoreLocal, signInLocally, type SignedIn, type WebConfig } from "../../common/sign_in";

let signedIn: SignedIn | null = null;
let choice: Choice | null = null;

const token = async (): Promise<string> => {
  if (!signedIn) throw new Error("Sign in first.");
  return signedIn.accessToken();
};
const conversation = new Conversation(token);
const pickers = new Pickers(token, (chosen) => {
  const agentChanged = chosen?.agent.id !== choice?.agent.id;
  choice = chosen;
  if (chosen && agentChanged) prefillFromAgent(chosen.agent);
  byId("advanced").hidden = !chosen;
  byId<HTMLButtonElement>("connect").disabled = !chosen;
});

function chosenView(): AvatarView {
  return (document.querySelector<HTMLInputElement>('input[name="view"]:checked')?.value ?? "round") as AvatarView;
}

async function connect(): Promise<void> {
  const settings = readSettings();
  if (!choice) return;
  if (!settings) {
    showError(byId("connect-error"), "Fix the advanced settings first (the error is shown under them).");
    return;
  }
  const button = byId<HTMLButtonElement>("connect");
  button.disabled = true;
  try {
    if (conversation.connected) await conversation.end("Reconnecting…");
    await conversation.connect(choice, settings, chosenView());
  } finally {
    button.disabled = !choice;
  }
}

function onSignedIn(user: SignedIn): void {
  signedIn = user;
  byId("local-sign-in").hidden = true;
  byId("entra-sign-in").hidden = true;
  byId("who").hidden = false;
  byId("who-name").textContent = `${user.name} · ${user.email}${user.mode === "local" ? " (local sign-in)" : ""}`;
  const note = byId("signed-in-note");
  note.textContent = `Signed in as ${user.email}.`;
  note.hidden = false;
  byId("pick").hidden = false;
  void pickers.start();
}

async function setUpSignIn(config: WebConfig): Promise<void> {
  if (config.signIn === "local") {
    const restored = restoreLocal();
    if (restored) return onSignedIn(restored);
    byId("local-sign-in").hidden = false;
    byId<HTMLInputElement>("local-email").focus();
    return;
  }
  if (!config.entra) {
    showError(
      byId("config-error"),
      "Sign-in is not configured on this deployment: set OMNI_AUTH_ISSUER and OMNI_AUTH_AUDIENCE (the app registration's client id).",
    );
    return;
  }
  const { EntraSignIn } = await import("../../common/entra"); // MSAL only where it is used
  const entra = await EntraSignIn.create(config.entra, { signedOut: "/playground" });
  const current = entra.current();
  if (current) return onSignedIn(current);
  byId("entra-sign-in").hidden = false;
  const slot = byId("entra-error");
  byId("entra-popup").addEventListener("click", () => {
    entra.popup().then(onSignedIn, (failure: unknown) => showError(slot, `Sign-in failed: ${messageOf(failure)}`));
  });
  byId("entra-redirect").addEventListener("click", () => {
    entra.redirect().catch((failure: unknown) => showError(slot, `Sign-in failed: ${messageOf(failure)}`));
  });
}

byId("local-sign-in").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const email = byId<HTMLInputElement>("local-email").value.trim();
  const name = byId<HTMLInputElement>("local-name").value.trim();
  const slot = byId("local-error");
  const button = byId<HTMLButtonElement>("local-submit");
  button.disabled = true;
  signInLocally(email, name)
    .then((user) => {
      showError(slot, null);
      onSignedIn(user);
    })
    .catch((failure: unknown) => showError(slot, `Sign-in failed: ${messageOf(failure)}`))
    .finally(() => (button.disabled = false));
});

byId("sign-out").addEventListener("click", async () => {
  if (conversation.connected) await conversation.end();
  await signedIn?.signOut();
  location.reload();
});

byId("connect").addEventListener("click", () => void connect());
byId("end-session").addEventListener("click", () => void conversation.end());
byId("message-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const input = byId<HTMLInputElement>("message");
  const text = input.value.trim();
  if (text && conversation.sendText(text)) input.value = "";
});
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="view"]')) {
  radio.addEventListener("change", () => {
    if (conversation.connected) void connect(); // a new session in the new view
  });
}
window.addEventListener("pagehide", () => void conversation.end());

readWebConfig()
  .then((config) => {
    byId("sign-in-loading").hidden = true;
    return setUpSignIn(config);
  })
  .catch((failure: unknown) => {
    byId("sign-in-loading").hidden = true;
    showError(byId("config-error"), `This page could not read how to sign in (GET /public/web-config): ${messageOf(failure)}`);
  });
