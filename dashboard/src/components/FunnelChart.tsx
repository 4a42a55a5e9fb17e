// A funnel as horizontal bars: per step the persons who reached it, the conversion from the first step and from
// the previous one, and the median and average time it took from the previous step.
import type { FunnelStepResult } from '../api/types'
import { formatDuration, formatNumber, formatPercent } from '../queries'
import { Empty } from './Status'

function groups(results: FunnelStepResult[]): [string | null, FunnelStepResult[]][] {
  const byValue = new Map<string | null, FunnelStepResult[]>()
  for (const step of results) {
    const value = step.breakdown_value ?? null
    byValue.set(value, [...(byValue.get(value) ?? []), step])
  }
  return [...byValue.entries()]
}

export function FunnelChart({ results }: { results: FunnelStepResult[] }) {
  if (results.length === 0) return <Empty>No one did the first step in this date range.</Empty>
  return (
    <div className="funnel" data-testid="funnel-chart">
      {groups(results).map(([value, steps]) => (
        <section key={value ?? ''} className="funnel-group">
          {value !== null && <h4>{value === '' ? '(none)' : value}</h4>}
          {steps.map((step) => (
            <div className="funnel-step" key={step.step} data-testid="funnel-step" data-step={step.step} data-count={step.count}>
              <div className="funnel-label">
                <span className="step-number">{step.step}</span> {step.name || step.event}
              </div>
              <div className="bar-text">
                {formatNumber(step.count)} persons · {formatPercent(step.conversion_from_first)}
              </div>
              <div className="bar-track">
                <div className="bar" style={{ width: `${Math.max(step.conversion_from_first * 100, 0.5)}%` }} />
              </div>
              <div className="funnel-meta">
                {step.step > 1 ? (
                  <>
                    {formatPercent(step.conversion_from_previous)} from previous · median{' '}
                    {formatDuration(step.median_seconds_to_convert)} · average {formatDuration(step.average_seconds_to_convert)}
                  </>
                ) : (
                  'entered the funnel'
                )}
              </div>
            </div>
          ))}
        </section>
      ))}
    </div>
  )
}
