/** The per-day activity chart: an inline SVG bar chart, so the HTML needs no script and no network. */
import type { DayActivity } from '../model';

const SERIES = [
  ['commands', '#4a7bd0'],
  ['refused', '#c8453b'],
  ['held', '#e0a030'],
] as const;

export function activityChart(days: readonly DayActivity[]): string {
  if (days.length === 0) return '<p>No activity in the period.</p>';
  const values = (d: DayActivity) => [d.commands, d.denied, d.held];
  const max = Math.max(1, ...days.flatMap(values));
  const bar = 10;
  const group = bar * SERIES.length + 12;
  const height = 160;
  const width = Math.max(240, days.length * group + 40);
  const bars = days.flatMap((d, i) =>
    values(d).map((v, j) => {
      const h = Math.round((v / max) * (height - 30));
      const x = 30 + i * group + j * bar;
      return `<rect x="${x}" y="${height - 20 - h}" width="${bar - 1}" height="${h}" fill="${SERIES[j]![1]}"><title>${d.day} ${SERIES[j]![0]}: ${v}</title></rect>`;
    }),
  );
  const labels = days.map(
    (d, i) => `<text x="${30 + i * group}" y="${height - 5}" font-size="9">${d.day.slice(5)}</text>`,
  );
  const legend = SERIES.map(
    ([name, color], j) => `<text x="${30 + j * 80}" y="10" font-size="10" fill="${color}">■ ${name}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Activity per day" width="${width}" height="${height}">
<text x="0" y="${height - 20}" font-size="9">0</text><text x="0" y="20" font-size="9">${max}</text>
${[...legend, ...bars, ...labels].join('\n')}
</svg>`;
}
