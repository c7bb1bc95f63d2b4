// How the session pages write times, durations and money.

const USD = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});

/** US dollars to the API's precision (a millionth), at least cents: "$0.0696", "$1.20". */
export function money(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? "—" : USD.format(amount);
}

/** Epoch seconds in the reader's locale and time zone. */
export function at(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? "—" : new Date(seconds * 1000).toLocaleString();
}

/** A length of time in seconds as "1 h 2 min 5 s", "42 s". */
export function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts = [hours ? `${hours} h` : "", minutes ? `${minutes} min` : "", `${rest} s`];
  return parts.filter(Boolean).join(" ");
}

/** A session's connected time: from its client's connection to its end (or now, while live). */
export function sessionDuration(startedAt: number | null, closedAt: number | null): string {
  if (startedAt === null) return "never connected";
  if (closedAt === null) return `${duration(Date.now() / 1000 - startedAt)} so far`;
  return duration(closedAt - startedAt);
}

/** A date input's value (YYYY-MM-DD) as the start of that day in UTC, ISO 8601; "" stays "". */
export function dayStartUtc(day: string, plusDays = 0): string {
  if (!day) return "";
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + plusDays);
  return date.toISOString().replace(".000Z", "Z");
}

export const DIMENSION_LABELS: Record<string, string> = {
  byo_llm_minutes: "Your own model (byo_llm_minutes)",
  hosted_llm_minutes: "Hosted model (hosted_llm_minutes)",
};
