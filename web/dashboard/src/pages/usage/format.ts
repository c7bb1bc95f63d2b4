// How the usage pages write minutes, money and buckets.
import type { Granularity } from "./types";

export function money(amount: number, currency = "USD"): string {
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  }).format(amount);
}

const MINUTES = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });

/** Active minutes to a ten-thousandth (a second is 0.0167 min). */
export function minutes(value: number): string {
  return MINUTES.format(value);
}

/** A bucket's start (UTC, as the API buckets): "2026-12-02" by day, "2026-12-02 13:00" by hour. */
export function bucketLabel(start: string, granularity: Granularity): string {
  const iso = new Date(start).toISOString();
  return granularity === "day" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** The last bucket of a window whose `end` is exclusive: its start's label. */
export function lastBucketLabel(end: string, granularity: Granularity): string {
  const step = granularity === "day" ? 86_400_000 : 3_600_000;
  return bucketLabel(new Date(new Date(end).getTime() - step).toISOString(), granularity);
}

/** A date input's day (YYYY-MM-DD) as that UTC day's start, `plusDays` later; "" stays "". */
export function dayStartUtc(day: string, plusDays = 0): string {
  if (!day) return "";
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + plusDays);
  return date.toISOString().replace(".000Z", "Z");
}
