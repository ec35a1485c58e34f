/**
 * The latency chart, written as plain SVG (no chart library): cumulative
 * distributions of publish-to-receive latency on a log time axis, one line per
 * series, and below it the spike's p50/p99 by second. A CDF shows the whole
 * distribution, tail included, and several series stay readable on one axis.
 */
import { percentile } from "./stats";

export interface Series {
  label: string;
  samples: number[];
}

export interface TimelinePoint {
  second: number;
  spike: boolean;
  p50: number;
  p99: number;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function latencyChartSvg(series: Series[], timeline: TimelinePoint[] | undefined, title: string): string {
  const width = 900;
  const cdfHeight = 420;
  const timelineHeight = timeline?.length ? 300 : 0;
  const height = cdfHeight + timelineHeight + 20;
  const left = 70;
  const right = 250;
  const plotWidth = width - left - right;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${left}" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);

  // --- CDF panel, x = log10(ms) from 0.1 ms to the largest sample
  const top = 40;
  const plotHeight = cdfHeight - top - 50;
  const all = series.flatMap((s) => s.samples).filter((v) => v > 0);
  const minExp = -1;
  const maxExp = Math.max(1, Math.ceil(Math.log10(Math.max(...all, 10))));
  const x = (ms: number) => left + ((Math.log10(Math.max(ms, 10 ** minExp)) - minExp) / (maxExp - minExp)) * plotWidth;
  const y = (fraction: number) => top + (1 - fraction) * plotHeight;
  for (let exp = minExp; exp <= maxExp; exp++) {
    const px = x(10 ** exp);
    parts.push(`<line x1="${px}" y1="${top}" x2="${px}" y2="${top + plotHeight}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${px}" y="${top + plotHeight + 16}" text-anchor="middle">${10 ** exp >= 1000 ? `${10 ** exp / 1000} s` : `${10 ** exp} ms`}</text>`,
    );
  }
  for (const fraction of [0, 0.25, 0.5, 0.75, 0.95, 1]) {
    parts.push(`<line x1="${left}" y1="${y(fraction)}" x2="${left + plotWidth}" y2="${y(fraction)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y(fraction) + 4}" text-anchor="end">${Math.round(fraction * 100)}%</text>`);
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 34}" text-anchor="middle">latency from the producer's request (or the send) to the client's receipt, log scale</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle">share of deliveries at or below</text>`,
  );
  series.forEach((s, index) => {
    if (s.samples.length === 0) return;
    const sorted = [...s.samples].sort((a, b) => a - b);
    const points: string[] = [];
    for (let step = 0; step <= 400; step++) {
      const fraction = step / 400;
      points.push(`${x(percentile(sorted, fraction * 100)).toFixed(1)},${y(fraction).toFixed(1)}`);
    }
    const color = COLORS[index % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`);
    const legendY = top + 10 + index * 18;
    parts.push(
      `<line x1="${left + plotWidth + 15}" y1="${legendY}" x2="${left + plotWidth + 35}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${left + plotWidth + 40}" y="${legendY + 4}">${escapeXml(s.label)}</text>`);
  });

  // --- spike timeline panel: p50 and p99 by the second of publication
  if (timeline?.length) {
    const panelTop = cdfHeight + 30;
    const panelHeight = timelineHeight - 70;
    const maxMs = Math.max(...timeline.map((point) => (Number.isFinite(point.p99) ? point.p99 : 0)), 100);
    const tx = (second: number) => left + (second / Math.max(1, timeline.length)) * plotWidth;
    const ty = (ms: number) => panelTop + (1 - ms / maxMs) * panelHeight;
    parts.push(
      `<text x="${left}" y="${panelTop - 10}" font-size="14" font-weight="bold">Touchdown spike: latency by second of publication (shaded: 8x rate)</text>`,
    );
    for (const point of timeline) {
      if (point.spike)
        parts.push(`<rect x="${tx(point.second)}" y="${panelTop}" width="${tx(1) - tx(0)}" height="${panelHeight}" fill="#fde2e2"/>`);
    }
    for (const fraction of [0, 0.5, 1]) {
      parts.push(`<text x="${left - 6}" y="${ty(maxMs * fraction) + 4}" text-anchor="end">${Math.round(maxMs * fraction)} ms</text>`);
      parts.push(`<line x1="${left}" y1="${ty(maxMs * fraction)}" x2="${left + plotWidth}" y2="${ty(maxMs * fraction)}" stroke="#eee"/>`);
    }
    for (const [key, color, label] of [
      ["p50", "#1f77b4", "p50"],
      ["p99", "#d62728", "p99"],
    ] as const) {
      const points = timeline
        .filter((point) => Number.isFinite(point[key]))
        .map((point) => `${(tx(point.second) + (tx(1) - tx(0)) / 2).toFixed(1)},${ty(point[key]).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`);
      const legendY = panelTop + 10 + (key === "p50" ? 0 : 18);
      parts.push(
        `<line x1="${left + plotWidth + 15}" y1="${legendY}" x2="${left + plotWidth + 35}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`,
      );
      parts.push(`<text x="${left + plotWidth + 40}" y="${legendY + 4}">${label}</text>`);
    }
    for (let second = 0; second < timeline.length; second += 5) {
      parts.push(`<text x="${tx(second)}" y="${panelTop + panelHeight + 16}" text-anchor="middle">${second} s</text>`);
    }
  }
  parts.push(`</svg>`);
  return `${parts.join("\n")}\n`;
}
