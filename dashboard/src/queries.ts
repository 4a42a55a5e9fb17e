// Pure logic, no React: a form's state ⇄ the query body the API takes, and how answers are shown
// (durations, percentages, the retention grid's shading). Unit-tested in test/queries.test.ts.
import type {
  FunnelQuery,
  InsightQuery,
  Interval,
  Math as MathKind,
  RetentionPeriod,
  RetentionQuery,
  TrendsQuery,
} from './api/types'

export const INTERVALS: Interval[] = ['hour', 'day', 'week', 'month']
export const MATHS: MathKind[] = [
  'total',
  'unique_persons',
  'dau',
  'weekly_active',
  'monthly_active',
  'sum',
  'avg',
  'min',
  'max',
  'median',
  'p90',
  'p99',
]
/** The maths that aggregate a numeric event property (math_property). */
export const PROPERTY_MATHS: MathKind[] = ['sum', 'avg', 'min', 'max', 'median', 'p90', 'p99']
export const DATE_PRESETS = ['-24h', '-7d', '-14d', '-30d', '-90d', '-1y']

export interface SeriesForm {
  event: string
  math: MathKind
  math_property: string
}

export interface TrendsForm {
  series: SeriesForm[]
  interval: Interval
  date_from: string
  date_to: string
  breakdown: string
  compare: boolean
}

export interface FunnelForm {
  steps: string[]
  window_value: number
  window_unit: 'minute' | 'hour' | 'day'
  date_from: string
  date_to: string
  breakdown: string
}

export interface RetentionForm {
  target_event: string
  returning_event: string
  period: RetentionPeriod
  total_intervals: number
  retention_type: 'first_time' | 'recurring'
  date_to: string
}

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const

/** Blank text is "not given": the API then applies its own default. */
const given = (text: string): string | null => (text.trim() === '' ? null : text.trim())

export const defaultTrends = (): TrendsForm => ({
  series: [{ event: '$pageview', math: 'total', math_property: '' }],
  interval: 'day',
  date_from: '-7d',
  date_to: '',
  breakdown: '',
  compare: false,
})

export const defaultFunnel = (): FunnelForm => ({
  steps: ['$pageview', ''],
  window_value: 14,
  window_unit: 'day',
  date_from: '-30d',
  date_to: '',
  breakdown: '',
})

export const defaultRetention = (): RetentionForm => ({
  target_event: '$pageview',
  returning_event: '$pageview',
  period: 'day',
  total_intervals: 8,
  retention_type: 'first_time',
  date_to: '',
})

export function trendsQuery(form: TrendsForm): TrendsQuery {
  const query: TrendsQuery = {
    kind: 'trends',
    interval: form.interval,
    series: form.series.map((series) => ({
      event: given(series.event),
      math: series.math,
      ...(PROPERTY_MATHS.includes(series.math) ? { math_property: given(series.math_property) } : {}),
    })),
  }
  if (given(form.date_from)) query.date_from = given(form.date_from)
  if (given(form.date_to)) query.date_to = given(form.date_to)
  if (given(form.breakdown)) query.breakdown = given(form.breakdown)
  if (form.compare) query.compare = true
  return query
}

export function trendsForm(query: TrendsQuery): TrendsForm {
  return {
    series: query.series.map((series) => ({
      event: series.event ?? '',
      math: series.math ?? 'total',
      math_property: series.math_property ?? '',
    })),
    interval: query.interval ?? 'day',
    date_from: query.date_from ?? '',
    date_to: query.date_to ?? '',
    breakdown: query.breakdown ?? '',
    compare: query.compare ?? false,
  }
}

export function funnelQuery(form: FunnelForm): FunnelQuery {
  const query: FunnelQuery = {
    kind: 'funnel',
    steps: form.steps.map((event) => ({ event: event.trim() })),
    window_seconds: Math.round(form.window_value * UNIT_SECONDS[form.window_unit]),
  }
  if (given(form.date_from)) query.date_from = given(form.date_from)
  if (given(form.date_to)) query.date_to = given(form.date_to)
  if (given(form.breakdown)) query.breakdown = given(form.breakdown)
  return query
}

export function funnelForm(query: FunnelQuery): FunnelForm {
  const seconds = query.window_seconds ?? 14 * 86400
  const unit = seconds % 86400 === 0 ? 'day' : seconds % 3600 === 0 ? 'hour' : 'minute'
  return {
    steps: query.steps.map((step) => step.event),
    window_value: seconds / UNIT_SECONDS[unit],
    window_unit: unit,
    date_from: query.date_from ?? '',
    date_to: query.date_to ?? '',
    breakdown: query.breakdown ?? '',
  }
}

export function retentionQuery(form: RetentionForm): RetentionQuery {
  const query: RetentionQuery = {
    kind: 'retention',
    target_event: form.target_event.trim(),
    returning_event: form.returning_event.trim(),
    period: form.period,
    total_intervals: form.total_intervals,
    retention_type: form.retention_type,
  }
  if (given(form.date_to)) query.date_to = given(form.date_to)
  return query
}

export function retentionForm(query: RetentionQuery): RetentionForm {
  const defaults = defaultRetention()
  return {
    target_event: query.target_event ?? defaults.target_event,
    returning_event: query.returning_event ?? query.target_event ?? defaults.returning_event,
    period: query.period ?? defaults.period,
    total_intervals: query.total_intervals ?? defaults.total_intervals,
    retention_type: query.retention_type ?? defaults.retention_type,
    date_to: query.date_to ?? '',
  }
}

/** A name to offer when saving, from what the query asks. */
export function suggestedName(query: InsightQuery): string {
  if (query.kind === 'trends') {
    const series = query.series.map((s) => `${s.event ?? 'all events'}${s.math && s.math !== 'total' ? ` (${s.math})` : ''}`)
    return `${series.join(', ')}${query.breakdown ? ` by ${query.breakdown}` : ''}`
  }
  if (query.kind === 'funnel') return `Funnel: ${query.steps.map((step) => step.event).join(' → ')}`
  const target = query.target_event ?? '$pageview'
  return `Retention: ${target} → ${query.returning_event ?? target}`
}

/** A query is ready to run when every event it needs is named. */
export function problem(query: InsightQuery): string | null {
  if (query.kind === 'funnel') {
    if (query.steps.length < 2) return 'a funnel needs at least two steps'
    const blank = query.steps.findIndex((step) => step.event === '')
    if (blank >= 0) return `name the event of step ${blank + 1}`
  }
  if (query.kind === 'trends') {
    const index = query.series.findIndex((s) => s.math && PROPERTY_MATHS.includes(s.math) && !s.math_property)
    if (index >= 0) return `series ${index + 1}: ${query.series[index]?.math} needs a numeric property`
  }
  if (query.kind === 'retention' && (!query.target_event || !query.returning_event)) {
    return 'name the cohort event and the returning event'
  }
  return null
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ]
  const parts: string[] = []
  let rest = s
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    } else if (parts.length) break
  }
  return parts.join(' ')
}

/** A rate (0…1) as a percentage; the API's conversion rates are fractions. */
export function formatPercent(rate: number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '–'
  return `${(rate * 100).toFixed(digits)}%`
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

/**
 * A retention cell's colours: the higher the rate, the deeper the blue; text stays readable on it. The depth
 * follows the rate's square root, so the small rates usual after the first period still look different.
 */
export function retentionShade(rate: number | null | undefined): { background: string; color: string } {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return { background: 'transparent', color: '#6b7280' }
  const clamped = Math.min(1, Math.max(0, rate))
  const alpha = 0.06 + 0.84 * Math.sqrt(clamped)
  return { background: `rgba(37, 99, 235, ${alpha.toFixed(2)})`, color: alpha > 0.5 ? '#ffffff' : '#111827' }
}

/** A tile's result may be the query's envelope or only its results list: the list, either way. */
export function resultsOf(result: { results: unknown } | unknown[] | null | undefined): unknown[] | null {
  if (result === null || result === undefined) return null
  if (Array.isArray(result)) return result
  return Array.isArray(result.results) ? result.results : null
}
