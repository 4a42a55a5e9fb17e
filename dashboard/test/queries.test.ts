import { describe, expect, it } from 'vitest'
import {
  defaultFunnel,
  defaultRetention,
  defaultTrends,
  formatDuration,
  formatPercent,
  funnelForm,
  funnelQuery,
  problem,
  resultsOf,
  retentionForm,
  retentionQuery,
  retentionShade,
  trendsForm,
  trendsQuery,
} from '../src/queries'

describe('trends form → query', () => {
  it('sends what the form says and leaves blanks to the API', () => {
    expect(trendsQuery(defaultTrends())).toEqual({
      kind: 'trends',
      interval: 'day',
      series: [{ event: '$pageview', math: 'total' }],
      date_from: '-7d',
    })
  })

  it('carries several series, a property math, breakdown and compare', () => {
    const form = {
      ...defaultTrends(),
      series: [
        { event: 'purchase', math: 'sum' as const, math_property: ' amount ' },
        { event: '', math: 'unique_persons' as const, math_property: 'ignored' },
      ],
      interval: 'week' as const,
      date_to: '2026-10-31',
      breakdown: '$browser',
      compare: true,
    }
    const query = trendsQuery(form)
    expect(query.series).toEqual([
      { event: 'purchase', math: 'sum', math_property: 'amount' },
      { event: null, math: 'unique_persons' },
    ])
    expect(query).toMatchObject({ interval: 'week', date_to: '2026-10-31', breakdown: '$browser', compare: true })
    expect(trendsQuery(trendsForm(query))).toEqual(query)
  })

  it('says what is missing before running', () => {
    const form = { ...defaultTrends(), series: [{ event: 'purchase', math: 'avg' as const, math_property: '' }] }
    expect(problem(trendsQuery(form))).toBe('series 1: avg needs a numeric property')
  })
})

describe('funnel form → query', () => {
  it('turns the window into seconds and back', () => {
    const form = { ...defaultFunnel(), steps: ['$pageview', 'signup', 'purchase'], window_value: 2, window_unit: 'hour' as const }
    const query = funnelQuery(form)
    expect(query).toEqual({
      kind: 'funnel',
      steps: [{ event: '$pageview' }, { event: 'signup' }, { event: 'purchase' }],
      window_seconds: 7200,
      date_from: '-30d',
    })
    expect(funnelForm(query)).toEqual(form)
  })

  it('needs every step named', () => {
    expect(problem(funnelQuery(defaultFunnel()))).toBe('name the event of step 2')
  })
})

describe('retention', () => {
  it('round-trips the form', () => {
    const query = retentionQuery(defaultRetention())
    expect(query).toMatchObject({ kind: 'retention', target_event: '$pageview', period: 'day', total_intervals: 8 })
    expect(retentionForm(query)).toEqual(defaultRetention())
  })

  it('shades deeper as more come back, with readable text', () => {
    const none = retentionShade(0)
    const half = retentionShade(0.5)
    const all = retentionShade(1)
    const alpha = (background: string) => Number(background.match(/([\d.]+)\)$/)?.[1])
    expect(alpha(none.background)).toBeLessThan(alpha(half.background))
    expect(alpha(half.background)).toBeLessThan(alpha(all.background))
    expect(none.color).toBe('#111827')
    expect(all.color).toBe('#ffffff')
    expect(retentionShade(7).background).toBe(all.background) // clamped
    expect(retentionShade(null).background).toBe('transparent')
  })
})

describe('formatting', () => {
  it('durations in at most two units', () => {
    expect(formatDuration(null)).toBe('–')
    expect(formatDuration(42)).toBe('42s')
    expect(formatDuration(3725)).toBe('1h 2m')
    expect(formatDuration(90061)).toBe('1d 1h')
    expect(formatDuration(86400)).toBe('1d')
  })

  it('rates as percentages', () => {
    expect(formatPercent(0.4567)).toBe('45.7%')
    expect(formatPercent(1, 0)).toBe('100%')
  })

  it('a tile result as its list, envelope or not', () => {
    expect(resultsOf(null)).toBeNull()
    expect(resultsOf([])).toEqual([])
    const envelope = { kind: 'funnel', results: [], source: 'events', cached: false, took_ms: 1 }
    expect(resultsOf(envelope)).toEqual([])
  })
})
