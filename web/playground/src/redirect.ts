// The redirect bridge of MSAL v5 (/playground/redirect.html): Entra ID returns here after sign-in; this
// hands the answer to the Playground (the popup's opener, or the page it navigates back to).
import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";

broadcastResponseToMainFrame().catch((failure: unknown) => {
  const note = document.getElementById("note");
  if (note) note.textContent = `Sign-in could not be completed: ${String(failure)}`;
});
