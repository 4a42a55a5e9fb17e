// A trend as a line or bar chart (chart.js), one dataset per series, breakdown value and period, with each
// one's total in a table beneath (the number the API calls `count`).
import { BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip } from 'chart.js'
import { Bar, Line } from 'react-chartjs-2'
import type { TrendsSeriesResult } from '../api/types'
import { formatNumber } from '../queries'
import { Empty } from './Status'

Chart.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, Tooltip, Legend, Filler)

export type Display = 'line' | 'bar'

const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#475569']

export function seriesLabel(result: TrendsSeriesResult): string {
  const breakdown = result.breakdown_value !== null && result.breakdown_value !== undefined
    ? ` · ${result.breakdown_value === '' ? '(none)' : result.breakdown_value}`
    : ''
  const period = result.compare === 'previous' ? ' (previous period)' : ''
  // two series of one event (a count and a sum of its amounts) must not read, nor be coloured, alike
  const math = result.math && result.math !== 'total' ? ` (${result.math.replace('_', ' ')})` : ''
  return `${result.label}${math}${breakdown}${period}`
}

export function TrendsChart({ results, display, height = 300 }: { results: TrendsSeriesResult[]; display: Display; height?: number }) {
  if (results.length === 0) return <Empty>No events matched this query in the date range.</Empty>
  const current = results.filter((result) => result.compare !== 'previous')
  const labels = (current[0] ?? results[0])?.days ?? []
  let colour = 0
  const colours = new Map<string, string>()
  const datasets = results.map((result) => {
    const key = `${result.label}|${result.math}|${result.breakdown_value ?? ''}`
    if (!colours.has(key)) colours.set(key, PALETTE[colour++ % PALETTE.length] ?? '#2563eb')
    const color = colours.get(key) ?? '#2563eb'
    const previous = result.compare === 'previous'
    return {
      label: seriesLabel(result),
      data: result.data,
      borderColor: color,
      backgroundColor: previous ? `${color}55` : `${color}cc`,
      borderDash: previous ? [6, 4] : [],
      pointRadius: labels.length > 40 ? 0 : 2,
      tension: 0.25,
    }
  })
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: { legend: { position: 'bottom' as const } },
    scales: { y: { beginAtZero: true } },
  }
  return (
    <div className="trends">
      <div className="chart" style={{ height }} data-testid="trends-chart">
        {display === 'bar' ? <Bar data={{ labels, datasets }} options={options} /> : <Line data={{ labels, datasets }} options={options} />}
      </div>
      <table className="totals">
        <thead>
          <tr>
            <th>Series</th>
            <th className="number">Total</th>
          </tr>
        </thead>
        <tbody>
          {results.map((result, index) => (
            <tr key={index}>
              <td>
                <span className="swatch" style={{ background: datasets[index]?.borderColor }} />
                {seriesLabel(result)}
              </td>
              <td className="number" data-testid="trend-total" data-label={seriesLabel(result)} data-value={result.count}>
                {formatNumber(result.count)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
