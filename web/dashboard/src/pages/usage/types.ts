// The usage answers of GET /public/usage and GET /manage/organizations/{orgId}/usage (api/usage.py).

export type Granularity = "hour" | "day";

export interface DimensionUsage {
  dimension: string;
  minutes: number;
  cost: number;
}

export interface UsageBucket {
  start: string;
  end: string;
  minutes: number;
  cost: number;
  dimensions: DimensionUsage[];
}

export interface Usage {
  organizationId: string;
  projectId: string | null;
  from: string;
  to: string;
  granularity: Granularity;
  currency: string;
  prices: { dimension: string; pricePerMinute: number }[];
  minutes: number;
  cost: number;
  totals: DimensionUsage[];
  buckets: UsageBucket[];
}

/** How each billing dimension is named and drawn (both always present in an answer). */
export const DIMENSIONS: Record<string, { label: string; color: string }> = {
  byo_llm_minutes: { label: "Your own model", color: "#2457d6" },
  hosted_llm_minutes: { label: "Hosted model", color: "#e07a1f" },
};

export function dimensionLabel(dimension: string): string {
  return DIMENSIONS[dimension]?.label ?? dimension;
}

export function minutesOf(bucket: { dimensions: DimensionUsage[] }, dimension: string): number {
  return bucket.dimensions.find((d) => d.dimension === dimension)?.minutes ?? 0;
}
