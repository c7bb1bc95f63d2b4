// Small pieces every page uses: its header, and dates as people read them.
import type { ComponentChildren } from "preact";

export function PageHeader(props: { title: ComponentChildren; intro?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1 data-testid="page-title">{props.title}</h1>
        {props.intro && <p class="hint">{props.intro}</p>}
      </div>
      {props.actions && <div class="row">{props.actions}</div>}
    </header>
  );
}

/** An ISO 8601 instant in the reader's locale and time zone (the API answers UTC). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
