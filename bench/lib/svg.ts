// A dependency-free grouped bar chart (SVG) for the latest run of a benchmark: one group per workload,
// one bar per system at its median, a whisker from min to max, and an optional target line.

export interface Bar {
  label: string;
  median: number;
  min: number;
  max: number;
}

export interface ChartSpec {
  title: string;
  unit: string;
  groups: { label: string; bars: Bar[] }[];
  line?: { value: number; label: string };
}

const COLORS = ['#2f6fdf', '#9aa5b1', '#e5a50a', '#26a269'];

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw)!;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function barChart(spec: ChartSpec): string {
  const W = 760;
  const H = 360;
  const left = 60;
  const right = 20;
  const top = 50;
  const bottom = 60;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const values = spec.groups.flatMap((g) => g.bars.map((b) => (Number.isFinite(b.max) ? b.max : 0)));
  const step = niceStep((Math.max(...values, spec.line?.value ?? 0) * 1.1 || 1) / 5);
  const ticks = Math.ceil((Math.max(...values, spec.line?.value ?? 0) * 1.1 || 1) / step);
  const top_ = step * ticks;
  const y = (v: number) => top + plotH - (v / top_) * plotH;
  const groupW = plotW / spec.groups.length;
  const nBars = Math.max(...spec.groups.map((g) => g.bars.length));
  const barW = Math.min(48, (groupW * 0.7) / nBars);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(spec.title)}</text>`);
  // axis and grid
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
  }
  out.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(spec.unit)}</text>`);
  spec.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = gx + bi * barW;
      const color = COLORS[bi % COLORS.length];
      if (Number.isFinite(b.median)) {
        out.push(`<rect x="${x + 2}" y="${y(b.median)}" width="${barW - 4}" height="${top + plotH - y(b.median)}" fill="${color}"/>`);
        const cx = x + barW / 2;
        out.push(`<line x1="${cx}" x2="${cx}" y1="${y(b.min)}" y2="${y(b.max)}" stroke="#222"/>`);
        out.push(`<text x="${cx}" y="${y(b.max) - 4}" text-anchor="middle" font-size="11">${b.median.toFixed(1)}</text>`);
      }
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(g.label)}</text>`);
  });
  if (spec.line) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(spec.line.value)}" y2="${y(spec.line.value)}" stroke="#c01c28" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - right}" y="${y(spec.line.value) - 4}" text-anchor="end" fill="#c01c28">${esc(spec.line.label)}</text>`);
  }
  // legend
  const legend = spec.groups[0]?.bars.map((b) => b.label) ?? [];
  legend.forEach((label, i) => {
    const lx = left + i * 110;
    out.push(`<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${H - 12}">${esc(label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
