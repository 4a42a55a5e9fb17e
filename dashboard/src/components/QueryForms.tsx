// The forms that build a query: trends, funnel and retention. Each edits its own form state (src/queries.ts
// turns it into the API's body); event inputs suggest the project's events from the <datalist id="events">.
import type { Interval } from '../api/types'
import {
  DATE_PRESETS,
  INTERVALS,
  MATHS,
  PROPERTY_MATHS,
  type FunnelForm,
  type RetentionForm,
  type SeriesForm,
  type TrendsForm,
} from '../queries'
import type { Display } from './TrendsChart'

function DateRange({
  from,
  to,
  onChange,
}: {
  from: string
  to: string
  onChange: (range: { date_from: string; date_to: string }) => void
}) {
  return (
    <>
      <label>
        From
        <input name="date_from" list="date-presets" value={from} placeholder="-7d" onChange={(e) => onChange({ date_from: e.target.value, date_to: to })} />
      </label>
      <label>
        To
        <input name="date_to" list="date-presets" value={to} placeholder="now" onChange={(e) => onChange({ date_from: from, date_to: e.target.value })} />
      </label>
      <datalist id="date-presets">
        {DATE_PRESETS.map((preset) => (
          <option key={preset} value={preset} />
        ))}
      </datalist>
    </>
  )
}

export function TrendsFormView({
  form,
  onChange,
  display,
  onDisplay,
}: {
  form: TrendsForm
  onChange: (form: TrendsForm) => void
  display: Display
  onDisplay: (display: Display) => void
}) {
  const setSeries = (index: number, change: Partial<SeriesForm>) =>
    onChange({ ...form, series: form.series.map((series, i) => (i === index ? { ...series, ...change } : series)) })
  return (
    <fieldset className="query-form" aria-label="Trends">
      <legend>Series</legend>
      {form.series.map((series, index) => (
        <div className="series-row" key={index} data-testid="series-row">
          <span className="series-letter">{String.fromCharCode(65 + index)}</span>
          <input
            name="event"
            aria-label={`Event of series ${index + 1}`}
            list="events"
            value={series.event}
            placeholder="all events"
            onChange={(e) => setSeries(index, { event: e.target.value })}
          />
          <select aria-label={`Math of series ${index + 1}`} value={series.math} onChange={(e) => setSeries(index, { math: e.target.value as SeriesForm['math'] })}>
            {MATHS.map((math) => (
              <option key={math} value={math}>
                {math.replace('_', ' ')}
              </option>
            ))}
          </select>
          {PROPERTY_MATHS.includes(series.math) && (
            <input
              aria-label={`Property of series ${index + 1}`}
              placeholder="numeric property, e.g. amount"
              value={series.math_property}
              onChange={(e) => setSeries(index, { math_property: e.target.value })}
            />
          )}
          {form.series.length > 1 && (
            <button type="button" className="link" onClick={() => onChange({ ...form, series: form.series.filter((_, i) => i !== index) })}>
              Remove
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        className="link"
        disabled={form.series.length >= 20}
        onClick={() => onChange({ ...form, series: [...form.series, { event: '', math: 'total', math_property: '' }] })}
      >
        + Add series
      </button>
      <div className="form-grid">
        <label>
          Interval
          <select name="interval" value={form.interval} onChange={(e) => onChange({ ...form, interval: e.target.value as Interval })}>
            {INTERVALS.map((interval) => (
              <option key={interval}>{interval}</option>
            ))}
          </select>
        </label>
        <DateRange from={form.date_from} to={form.date_to} onChange={(range) => onChange({ ...form, ...range })} />
        <label>
          Breakdown
          <input name="breakdown" placeholder="event property, e.g. $browser" value={form.breakdown} onChange={(e) => onChange({ ...form, breakdown: e.target.value })} />
        </label>
        <label className="inline">
          <input type="checkbox" name="compare" checked={form.compare} onChange={(e) => onChange({ ...form, compare: e.target.checked })} />
          Compare to previous period
        </label>
        <label>
          Chart
          <select name="display" value={display} onChange={(e) => onDisplay(e.target.value as Display)}>
            <option value="line">line</option>
            <option value="bar">bar</option>
          </select>
        </label>
      </div>
    </fieldset>
  )
}

export function FunnelFormView({ form, onChange }: { form: FunnelForm; onChange: (form: FunnelForm) => void }) {
  const setStep = (index: number, event: string) => onChange({ ...form, steps: form.steps.map((step, i) => (i === index ? event : step)) })
  return (
    <fieldset className="query-form" aria-label="Funnel">
      <legend>Steps</legend>
      {form.steps.map((step, index) => (
        <div className="series-row" key={index}>
          <span className="series-letter">{index + 1}</span>
          <input name="step" aria-label={`Step ${index + 1}`} list="events" value={step} placeholder="event" onChange={(e) => setStep(index, e.target.value)} />
          {form.steps.length > 2 && (
            <button type="button" className="link" onClick={() => onChange({ ...form, steps: form.steps.filter((_, i) => i !== index) })}>
              Remove
            </button>
          )}
        </div>
      ))}
      <button type="button" className="link" disabled={form.steps.length >= 10} onClick={() => onChange({ ...form, steps: [...form.steps, ''] })}>
        + Add step
      </button>
      <div className="form-grid">
        <label>
          Conversion window
          <span className="row">
            <input
              name="window_value"
              type="number"
              min={1}
              value={form.window_value}
              onChange={(e) => onChange({ ...form, window_value: Number(e.target.value) })}
            />
            <select name="window_unit" value={form.window_unit} onChange={(e) => onChange({ ...form, window_unit: e.target.value as FunnelForm['window_unit'] })}>
              <option value="minute">minutes</option>
              <option value="hour">hours</option>
              <option value="day">days</option>
            </select>
          </span>
        </label>
        <DateRange from={form.date_from} to={form.date_to} onChange={(range) => onChange({ ...form, ...range })} />
        <label>
          Breakdown
          <input name="breakdown" placeholder="property of step 1" value={form.breakdown} onChange={(e) => onChange({ ...form, breakdown: e.target.value })} />
        </label>
      </div>
    </fieldset>
  )
}

export function RetentionFormView({ form, onChange }: { form: RetentionForm; onChange: (form: RetentionForm) => void }) {
  return (
    <fieldset className="query-form" aria-label="Retention">
      <legend>Cohorts</legend>
      <div className="form-grid">
        <label>
          Cohort event
          <input name="target_event" list="events" value={form.target_event} onChange={(e) => onChange({ ...form, target_event: e.target.value })} />
        </label>
        <label>
          Returning event
          <input name="returning_event" list="events" value={form.returning_event} onChange={(e) => onChange({ ...form, returning_event: e.target.value })} />
        </label>
        <label>
          Cohort by
          <select name="period" value={form.period} onChange={(e) => onChange({ ...form, period: e.target.value as RetentionForm['period'] })}>
            <option>day</option>
            <option>week</option>
            <option>month</option>
          </select>
        </label>
        <label>
          Cohorts (and periods)
          <input
            name="total_intervals"
            type="number"
            min={2}
            max={60}
            value={form.total_intervals}
            onChange={(e) => onChange({ ...form, total_intervals: Number(e.target.value) })}
          />
        </label>
        <label>
          Counting
          <select
            name="retention_type"
            value={form.retention_type}
            onChange={(e) => onChange({ ...form, retention_type: e.target.value as RetentionForm['retention_type'] })}
          >
            <option value="first_time" title="a person's cohort is the period of their first cohort event ever">
              first time
            </option>
            <option value="recurring" title="a person is in the cohort of every period they did the cohort event">
              recurring
            </option>
          </select>
        </label>
        <label>
          Last cohort
          <input name="date_to" list="date-presets" value={form.date_to} placeholder="now" onChange={(e) => onChange({ ...form, date_to: e.target.value })} />
        </label>
      </div>
    </fieldset>
  )
}
