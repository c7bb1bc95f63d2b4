// A function's signing secret, this once: selectable, with a copy button. The API never shows it again.
import { useRef, useState } from "preact/hooks";

export function SecretOnce({ secret, onDismiss }: { secret: string; onDismiss: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    field.current?.select();
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied to the clipboard.");
    } catch {
      const done = document.execCommand("copy");
      setCopied(done ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C) to copy it.");
    }
  };
  return (
    <section class="card" aria-labelledby="secret-title" data-testid="signing-secret">
      <h2 id="secret-title">Signing secret</h2>
      <p class="notice">
        Copy it now: it is shown only this once. Your endpoint checks each call with it: <code>x-omniagent-signature</code> is{" "}
        <code>sha256=</code> and the hex HMAC-SHA256, keyed with this secret, of <code>x-omniagent-timestamp</code>, a dot and the raw body.
      </p>
      <div class="secret">
        <input ref={field} type="text" readOnly value={secret} aria-label="Signing secret" onFocus={(e) => e.currentTarget.select()}
               data-testid="signing-secret-value" />
        <button type="button" onClick={() => void copy()} data-testid="copy-secret">Copy</button>
      </div>
      {copied && <p class="ok" data-testid="copy-secret-result">{copied}</p>}
      <button type="button" class="secondary" onClick={onDismiss} data-testid="dismiss-secret">I have stored it</button>
    </section>
  );
}
