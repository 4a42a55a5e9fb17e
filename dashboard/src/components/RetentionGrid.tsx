// Retention as a cohort grid: a row per cohort (its date and size), a column per period after it, each cell
// shaded by the share of the cohort that came back.
import type { RetentionCohort } from '../api/types'
import { formatNumber, formatPercent, retentionShade } from '../queries'
import { Empty } from './Status'

export function RetentionGrid({ results, period = 'day' }: { results: RetentionCohort[]; period?: string }) {
  if (results.length === 0) return <Empty>No cohort in this date range: no one did the cohort event.</Empty>
  const columns = Math.max(...results.map((cohort) => cohort.values.length))
  const name = period.charAt(0).toUpperCase() + period.slice(1)
  return (
    <div className="retention-wrap">
      <table className="retention" data-testid="retention-grid">
        <thead>
          <tr>
            <th>Cohort</th>
            <th className="number">Persons</th>
            {Array.from({ length: columns }, (_, index) => (
              <th key={index} className="number">
                {name} {index}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {results.map((cohort) => (
            <tr key={cohort.date}>
              <td>{cohort.date}</td>
              <td className="number">{formatNumber(cohort.cohort_size)}</td>
              {Array.from({ length: columns }, (_, index) => {
                const value = cohort.values[index]
                if (!value) return <td key={index} className="cell" />
                if (cohort.cohort_size === 0) return <td key={index} className="cell number muted">–</td> // no one to come back
                return (
                  <td key={index} className="cell number" style={retentionShade(value.rate)} title={`${formatNumber(value.count)} persons`}>
                    {formatPercent(value.rate, 0)}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
