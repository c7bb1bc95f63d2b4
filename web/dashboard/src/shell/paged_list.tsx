// Every list in the dashboard pages: one page of the published list envelope at a time
// ({items, totalCount, pageIndex, pageSize}), with Previous/Next and where you are.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Page } from "./api";
import { ErrorBanner } from "./errors";
import { useLoad } from "./hooks";

export interface Column<T> {
  label: string;
  cell: (item: T) => ComponentChildren;
  className?: string;
}

export interface PagedListProps<T> {
  /** One page: usually (index, size) => api.page(path, index, size[, projectId]). */
  load: (pageIndex: number, pageSize: number) => Promise<Page<T>>;
  columns: Column<T>[];
  rowKey: (item: T) => string;
  /** Shown when the collection is empty. */
  empty: ComponentChildren;
  pageSize?: number;
  /** Change it (a counter bumped after a change) to load the same page again. */
  reloadKey?: unknown;
  /** Change it (a filter's value) to load again from the first page. */
  resetKey?: unknown;
  testId?: string;
  caption?: string;
}

export function PagedList<T>(props: PagedListProps<T>) {
  const pageSize = props.pageSize ?? 20;
  const [pageIndex, setPageIndex] = useState(0);
  const [seenReset, setSeenReset] = useState(props.resetKey);
  if (seenReset !== props.resetKey) {
    setSeenReset(props.resetKey); // a new filter: from the first page again
    setPageIndex(0);
  }
  const page = useLoad(() => props.load(pageIndex, pageSize), [pageIndex, pageSize, props.reloadKey, props.resetKey]);
  const testId = props.testId ?? "list";

  if (page.error) return <ErrorBanner error={page.error} onRetry={page.reload} testId={`${testId}-error`} />;
  const data = page.data;
  if (!data) return <p class="muted" data-testid={`${testId}-loading`}>Loading…</p>;
  // A page past the end (the last item of the last page deleted): step back.
  if (data.items.length === 0 && pageIndex > 0) {
    setPageIndex(Math.max(0, Math.ceil(data.totalCount / pageSize) - 1));
    return null;
  }
  if (data.items.length === 0) return <div class="empty" data-testid={`${testId}-empty`}>{props.empty}</div>;
  const pages = Math.max(1, Math.ceil(data.totalCount / pageSize));
  const first = pageIndex * pageSize + 1;
  const last = pageIndex * pageSize + data.items.length;
  return (
    <div class="paged-list" data-testid={testId}>
      <table class="table">
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column.label} class={column.className}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.items.map((item) => (
            <tr key={props.rowKey(item)} data-testid={`${testId}-row`}>
              {props.columns.map((column) => (
                <td key={column.label} class={column.className}>
                  {column.cell(item)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={pageIndex === 0 || page.loading}
                onClick={() => setPageIndex(pageIndex - 1)} data-testid={`${testId}-previous`}>
          Previous
        </button>
        <span class="muted" data-testid={`${testId}-position`}>
          {first}–{last} of {data.totalCount} · page {pageIndex + 1} of {pages}
        </span>
        <button type="button" class="secondary" disabled={pageIndex + 1 >= pages || page.loading}
                onClick={() => setPageIndex(pageIndex + 1)} data-testid={`${testId}-next`}>
          Next
        </button>
      </nav>
    </div>
  );
}
