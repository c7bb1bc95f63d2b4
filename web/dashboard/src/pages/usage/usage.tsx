// Usage: active minutes and their cost per day (or hour) and billing dimension, as a chart of
// stacked bars with the table beside it, the window's totals and the price of both dimensions.
// A project's usage (GET /public/usage: any member of the organization may read it, as every
// project read) and the whole organization's (GET /manage/organizations/{orgId}/usage: billing,
// Admins only; the navigation hides it from Members and the API's 403 is shown if one gets here).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { ErrorBanner, ErrorText } from "../../shell/errors";
import { useLoad } from "../../shell/hooks";
import { PageHeader } from "../../shell/page";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { bucketLabel, dayStartUtc, lastBucketLabel, minutes, money } from "./format";
import { UsageChart } from "./usage_chart";
import { DIMENSIONS, dimensionLabel, minutesOf, type Granularity, type Usage } from "./types";
import "./usage.css";

export function ProjectUsagePage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  return (
    <UsageView
      title={`Usage of ${scope.project?.name ?? "the project"}`}
      intro="This project's sessions: active minutes and what they cost, per billing dimension."
      load={(query) => api.project<Usage>(params.projectId, `/public/usage?${query}`)}
    />
  );
}

export function OrganizationUsagePage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  return (
    <UsageView
      title={`Usage and billing of ${scope.organization?.name ?? "the organization"}`}
      intro="Every project of the organization: active minutes and their cost, as billed per dimension."
      load={(query) => api.manage<Usage>(`/manage/organizations/${encodeURIComponent(params.orgId)}/usage?${query}`)}
    />
  );
}

interface UsageWindow {
  granularity: Granularity;
  fromDay: string; // YYYY-MM-DD (UTC), "" for the API's default
  toDay: string; // inclusive
}

function usageQuery(window: UsageWindow): string {
  const query = new URLSearchParams({ granularity: window.granularity });
  if (window.fromDay) query.set("from", dayStartUtc(window.fromDay));
  if (window.toDay) query.set("to", dayStartUtc(window.toDay, 1));
  return query.toString();
}

function UsageView(props: { title: string; intro: string; load: (query: string) => Promise<Usage> }) {
  const [draft, setDraft] = useState<UsageWindow>({ granularity: "day", fromDay: "", toDay: "" });
  const [applied, setApplied] = useState<UsageWindow>(draft);
  const query = usageQuery(applied);
  const usage = useLoad(() => props.load(query), [query]);
  const refused = usage.error && (usage.error as { status?: number }).status === 403;
  const badWindow = usage.error && (usage.error as { status?: number }).status === 400;

  const field = (name: keyof UsageWindow) => ({
    value: draft[name],
    onInput: (event: JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement>) =>
      setDraft({ ...draft, [name]: event.currentTarget.value }),
  });
  if (refused) return <ErrorBanner error={usage.error} />;
  return (
    <>
      <PageHeader title={props.title} intro={props.intro} />
      <form class="card usage-window" data-testid="usage-window"
            onSubmit={(event) => { event.preventDefault(); setApplied({ ...draft }); }}>
        <label>
          By
          <select {...field("granularity")} data-testid="usage-granularity">
            <option value="day">day</option>
            <option value="hour">hour</option>
          </select>
        </label>
        <label>
          From (UTC day)
          <input type="date" {...field("fromDay")} data-testid="usage-from" />
        </label>
        <label>
          To (UTC day, included)
          <input type="date" {...field("toDay")} data-testid="usage-to" />
        </label>
        <div class="row">
          <button type="submit" data-testid="usage-apply">Show</button>
        </div>
        <p class="hint">Without dates: the last 30 days by day, or the last 24 hours by hour (UTC).</p>
        {badWindow ? <ErrorText error={usage.error} testId="usage-window-error" /> : null}
      </form>
      {usage.error && !badWindow ? <ErrorBanner error={usage.error} onRetry={usage.reload} testId="usage-error" /> : null}
      {usage.data && <UsageAnswer usage={usage.data} />}
      {!usage.data && !usage.error && <p class="muted">Loading…</p>}
    </>
  );
}

function UsageAnswer({ usage }: { usage: Usage }) {
  const dimensions = usage.totals.map((total) => total.dimension);
  return (
    <>
      <section class="usage-summary">
        <div class="card" data-testid="usage-prices">
          <h2>Prices</h2>
          <dl class="facts">
            {usage.prices.map((price) => [
              <dt key={`${price.dimension}-dt`}>{dimensionLabel(price.dimension)} <code>{price.dimension}</code></dt>,
              <dd key={`${price.dimension}-dd`} data-testid={`price-${price.dimension}`}>
                {money(price.pricePerMinute, usage.currency)} per active minute
              </dd>,
            ])}
          </dl>
        </div>
        <div class="card" data-testid="usage-totals">
          <h2>
            {bucketLabel(usage.from, usage.granularity)} – {lastBucketLabel(usage.to, usage.granularity)} (UTC)
          </h2>
          <dl class="facts">
            {usage.totals.map((total) => [
              <dt key={`${total.dimension}-dt`}>{dimensionLabel(total.dimension)}</dt>,
              <dd key={`${total.dimension}-dd`} data-testid={`total-${total.dimension}`}>
                {minutes(total.minutes)} min · {money(total.cost, usage.currency)}
              </dd>,
            ])}
            <dt>Total</dt>
            <dd data-testid="usage-total">
              <strong>{minutes(usage.minutes)} min · {money(usage.cost, usage.currency)}</strong>
            </dd>
          </dl>
        </div>
      </section>
      <section class="usage-grid">
        <div class="card">
          <UsageChart usage={usage} />
        </div>
        <div class="card usage-table-card">
          <table class="table" data-testid="usage-table">
            <thead>
              <tr>
                <th scope="col">{usage.granularity === "day" ? "Day" : "Hour"} (UTC)</th>
                {dimensions.map((dimension) => (
                  <th scope="col" key={dimension} class="number">
                    <span class="swatch" style={{ background: DIMENSIONS[dimension]?.color }} />
                    {dimensionLabel(dimension)} (min)
                  </th>
                ))}
                <th scope="col" class="number">Cost</th>
              </tr>
            </thead>
            <tbody>
              {[...usage.buckets].reverse().map((bucket) => (
                <tr key={bucket.start} data-testid="usage-row" data-start={bucket.start}
                    class={bucket.minutes > 0 ? "used" : "unused"}>
                  <td>{bucketLabel(bucket.start, usage.granularity)}</td>
                  {dimensions.map((dimension) => (
                    <td key={dimension} class="number" data-testid={`row-${dimension}`}>
                      {minutes(minutesOf(bucket, dimension))}
                    </td>
                  ))}
                  <td class="number" data-testid="row-cost">{money(bucket.cost, usage.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
