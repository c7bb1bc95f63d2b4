// Billing (Admins; a Member who opens the URL is refused with the API's words): the organization's
// billable minutes and their cost over the last 30 days, per billing dimension, at the prices shown.
import type { PageProps } from "../../routes";
import { ErrorBanner } from "../../shell/errors";
import { useLoad } from "../../shell/hooks";
import { PageHeader, when } from "../../shell/page";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";

interface DimensionUsage {
  dimension: string;
  minutes: number;
  cost: number;
}

interface Usage {
  from: string;
  to: string;
  currency: string;
  prices: { dimension: string; pricePerMinute: number }[];
  minutes: number;
  cost: number;
  totals: DimensionUsage[];
}

const DIMENSIONS: Record<string, string> = {
  byo_llm_minutes: "Your own model (Azure OpenAI, OpenAI-compatible keys)",
  hosted_llm_minutes: "Hosted model (hosted keys)",
};

export function BillingPage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  const usage = useLoad(
    () => api.manage<Usage>(`/manage/organizations/${encodeURIComponent(params.orgId)}/usage?granularity=day`),
    [params.orgId],
  );
  return (
    <>
      <PageHeader
        title="Billing"
        intro={`Active session minutes of every project of ${scope.organization?.name ?? ""}, billed through the organization's Azure Marketplace subscription.`}
      />
      {usage.error ? (
        <ErrorBanner error={usage.error} onRetry={usage.reload} />
      ) : !usage.data ? (
        <p class="muted">Loading…</p>
      ) : (
        <BillingSummary usage={usage.data} />
      )}
    </>
  );
}

function money(amount: number, currency: string, digits = 2): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
}

function BillingSummary({ usage }: { usage: Usage }) {
  const price = (dimension: string) => usage.prices.find((p) => p.dimension === dimension)?.pricePerMinute ?? 0;
  return (
    <section class="card" aria-labelledby="billing-window-title">
      <h2 id="billing-window-title">
        {when(usage.from)} – {when(usage.to)}
      </h2>
      <table class="table" data-testid="billing">
        <thead>
          <tr>
            <th scope="col">Dimension</th>
            <th scope="col" class="number">Price per minute</th>
            <th scope="col" class="number">Minutes</th>
            <th scope="col" class="number">Cost</th>
          </tr>
        </thead>
        <tbody>
          {usage.totals.map((total) => (
            <tr key={total.dimension} data-testid="billing-row">
              <td>{DIMENSIONS[total.dimension] ?? total.dimension} <code class="muted">{total.dimension}</code></td>
              <td class="number">{money(price(total.dimension), usage.currency, 4)}</td>
              <td class="number">{total.minutes.toFixed(2)}</td>
              <td class="number">{money(total.cost, usage.currency)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Total</th>
            <td />
            <td class="number">{usage.minutes.toFixed(2)}</td>
            <td class="number" data-testid="billing-total">{money(usage.cost, usage.currency)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
