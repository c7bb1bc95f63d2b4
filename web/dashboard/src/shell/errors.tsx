// Errors in words, where they happened: beside the control that caused them (ErrorText), for a whole
// page that could not load (ErrorBanner), and for a page the caller's role may not use (Refused).
import { ApiError, messageOf } from "./api";

/** `error`: null or undefined (nothing shown), a string, or what a call threw (an ApiError's words). */
export function ErrorText({ error, testId }: { error: unknown; testId?: string }) {
  if (error === null || error === undefined || error === "") return null;
  return (
    <p class="error" role="alert" data-testid={testId}>
      {typeof error === "string" ? error : messageOf(error)}
    </p>
  );
}

/** A page's load failure, with a retry; a 403 reads as a refusal, not as a fault. */
export function ErrorBanner({ error, onRetry, testId }: { error: unknown; onRetry?: () => void; testId?: string }) {
  if (error instanceof ApiError && error.status === 403) return <Refused words={error.description} />;
  return (
    <div class="banner error-banner" role="alert" data-testid={testId ?? "error-banner"}>
      <p>{messageOf(error)}</p>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A refused page: the API's 403 words (or the same words from the role matrix, roles.ts). */
export function Refused({ words }: { words: string }) {
  return (
    <section class="card refused" role="alert" data-testid="refused">
      <h2>Not allowed</h2>
      <p data-testid="refused-words">{words}</p>
      <p class="hint">Ask an Admin of this organization if you need this.</p>
    </section>
  );
}

/** The field errors of a 400 (the body's `details`) by field path (`provider.endpoint`), to show each
 * beside its input; the whole error still shows beside the submit button. */
export function fieldErrors(failure: unknown): Record<string, string> {
  const byField: Record<string, string> = {};
  if (failure instanceof ApiError) for (const detail of failure.details) byField[detail.field] = detail.message;
  return byField;
}
