// Minutes per bucket as stacked bars, one colour per billing dimension (chart.js 4, tree-shaken:
// only the bar chart's parts are registered). Redrawn when the answer changes; no animation, so
// what is drawn is final at once.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import { bucketLabel, minutes } from "./format";
import { DIMENSIONS, dimensionLabel, minutesOf, type Usage } from "./types";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export function UsageChart({ usage }: { usage: Usage }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const dimensions = usage.totals.map((total) => total.dimension);
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: usage.buckets.map((bucket) => bucketLabel(bucket.start, usage.granularity)),
        datasets: dimensions.map((dimension) => ({
          label: dimensionLabel(dimension),
          data: usage.buckets.map((bucket) => minutesOf(bucket, dimension)),
          backgroundColor: DIMENSIONS[dimension]?.color ?? "#888888",
          stack: "minutes",
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "Active minutes" } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${minutes(Number(item.raw))} min` } },
        },
      },
    });
    return () => chart.destroy();
  }, [usage]);
  return (
    <div class="usage-chart">
      <canvas ref={canvas} data-testid="usage-chart" role="img"
              aria-label={`Active minutes per ${usage.granularity} and billing dimension`} />
    </div>
  );
}
