// An answer shown the way its kind wants: trends as a chart, funnels as bars, retention as a grid.
import type { FunnelStepResult, InsightQuery, RetentionCohort, TrendsSeriesResult } from '../api/types'
import { FunnelChart } from './FunnelChart'
import { RetentionGrid } from './RetentionGrid'
import { TrendsChart, type Display } from './TrendsChart'

export function InsightResult({
  query,
  results,
  display = 'line',
  height,
}: {
  query: InsightQuery
  results: unknown[]
  display?: Display
  height?: number
}) {
  if (query.kind === 'trends') return <TrendsChart results={results as TrendsSeriesResult[]} display={display} height={height} />
  if (query.kind === 'funnel') return <FunnelChart results={results as FunnelStepResult[]} />
  return <RetentionGrid results={results as RetentionCohort[]} period={query.period} />
}

/** How a trend is drawn is the viewer's choice, kept in this browser per saved insight (the query has no room for it). */
export function storedDisplay(insightId: number | null | undefined): Display {
  if (insightId === null || insightId === undefined) return 'line'
  return localStorage.getItem(`clickpath.dashboard.display.${insightId}`) === 'bar' ? 'bar' : 'line'
}

export function storeDisplay(insightId: number, display: Display): void {
  localStorage.setItem(`clickpath.dashboard.display.${insightId}`, display)
}
