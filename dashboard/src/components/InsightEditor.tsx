// One insight: pick its kind, build its query in a form, see the answer (re-run as the form changes), save it
// under a name (new, or the changes to a saved one).
import { useEffect, useMemo, useState } from 'react'
import type { Api } from '../api/client'
import { drawable, type Insight, type InsightKind, type InsightQuery, type QueryResponse } from '../api/types'
import { useLoad } from '../hooks'
import {
  defaultFunnel,
  defaultRetention,
  defaultTrends,
  funnelForm,
  funnelQuery,
  problem,
  retentionForm,
  retentionQuery,
  suggestedName,
  trendsForm,
  trendsQuery,
} from '../queries'
import { go } from '../session'
import { InsightResult, storeDisplay, storedDisplay } from './InsightResult'
import { FunnelFormView, RetentionFormView, TrendsFormView } from './QueryForms'
import { Empty, ErrorNote, Loading } from './Status'
import type { Display } from './TrendsChart'

const KINDS: { kind: InsightKind; title: string }[] = [
  { kind: 'trends', title: 'Trends' },
  { kind: 'funnel', title: 'Funnel' },
  { kind: 'retention', title: 'Retention' },
]
const RUN_DELAY_MS = 500

export function InsightEditor({
  api,
  projectId,
  insightId,
  initialKind,
  justSaved = false,
}: {
  api: Api
  projectId: number
  insightId: number | null
  initialKind: InsightKind
  /** Opened right after its first save (the URL changed to its id): say it was saved. */
  justSaved?: boolean
}) {
  const saved = useLoad<Insight | null>(
    () => (insightId === null ? Promise.resolve(null) : api.insight(projectId, insightId)),
    [api, projectId, insightId],
  )
  if (saved.loading) return <Loading what="the insight" />
  if (saved.error) return <ErrorNote error={saved.error} what="load the insight" retry={saved.reload} />
  const insight = saved.data
  if (insight && !drawable(insight.query)) {
    return <Empty>“{insight.name}” is a {insight.query.kind} insight: this app builds and draws trends, funnels and retention.</Empty>
  }
  return (
    <Editor key={insightId ?? `new-${initialKind}`} api={api} projectId={projectId} insight={insight as Editable | null} initialKind={initialKind} justSaved={justSaved} />
  )
}

type Editable = Insight & { query: InsightQuery }

function Editor({
  api,
  projectId,
  insight,
  initialKind,
  justSaved,
}: {
  api: Api
  projectId: number
  insight: Editable | null
  initialKind: InsightKind
  justSaved: boolean
}) {
  const query0 = insight?.query
  const [kind, setKind] = useState<InsightKind>(query0?.kind ?? initialKind)
  const [trends, setTrends] = useState(query0?.kind === 'trends' ? trendsForm(query0) : defaultTrends())
  const [funnel, setFunnel] = useState(query0?.kind === 'funnel' ? funnelForm(query0) : defaultFunnel())
  const [retention, setRetention] = useState(query0?.kind === 'retention' ? retentionForm(query0) : defaultRetention())
  const [display, setDisplay] = useState<Display>(storedDisplay(insight?.id))
  const [name, setName] = useState(insight?.name ?? '')
  const [description, setDescription] = useState(insight?.description ?? '')
  const [saving, setSaving] = useState<{ busy: boolean; error: Error | null; done: string | null }>({
    busy: false,
    error: null,
    done: justSaved && insight ? `Saved “${insight.name}”.` : null,
  })

  const query: InsightQuery = useMemo(
    () => (kind === 'trends' ? trendsQuery(trends) : kind === 'funnel' ? funnelQuery(funnel) : retentionQuery(retention)),
    [kind, trends, funnel, retention],
  )
  const body = JSON.stringify(query)
  const invalid = problem(query)

  const [answer, setAnswer] = useState<{ body: string; response: QueryResponse | null; error: Error | null }>({ body: '', response: null, error: null })
  const [refreshTick, setRefreshTick] = useState(0)
  useEffect(() => {
    if (invalid) return
    let current = true
    const timer = setTimeout(() => {
      api.query(projectId, JSON.parse(body) as InsightQuery, refreshTick > 0).then(
        (response) => current && setAnswer({ body, response, error: null }),
        (error: Error) => current && setAnswer({ body, response: null, error }),
      )
    }, answer.body ? RUN_DELAY_MS : 0)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [api, projectId, body, invalid, refreshTick]) // not answer: a new answer must not run the query again

  async function save() {
    setSaving({ busy: true, error: null, done: null })
    const input = { name: name.trim() || suggestedName(query), description: description.trim(), query }
    try {
      const stored = insight ? await api.updateInsight(projectId, insight.id, input) : await api.createInsight(projectId, input)
      storeDisplay(stored.id, display)
      setName(stored.name)
      setSaving({ busy: false, error: null, done: `Saved “${stored.name}”.` })
      if (!insight) go(`/insights/${stored.id}?saved=1`)
    } catch (error) {
      setSaving({ busy: false, error: error as Error, done: null })
    }
  }

  const running = !invalid && answer.body !== body
  return (
    <div className="editor">
      <header className="page-header">
        <h2>{insight ? insight.name : 'New insight'}</h2>
        <a href="#/insights">All insights</a>
      </header>
      <div className="tabs" role="tablist" aria-label="Kind">
        {KINDS.map((option) => (
          <button
            key={option.kind}
            type="button"
            role="tab"
            aria-selected={kind === option.kind}
            disabled={insight !== null && insight.query.kind !== option.kind}
            onClick={() => setKind(option.kind)}
          >
            {option.title}
          </button>
        ))}
      </div>
      <div className="editor-body">
        <aside className="card">
          {kind === 'trends' && (
            <TrendsFormView form={trends} onChange={setTrends} display={display} onDisplay={setDisplay} />
          )}
          {kind === 'funnel' && <FunnelFormView form={funnel} onChange={setFunnel} />}
          {kind === 'retention' && <RetentionFormView form={retention} onChange={setRetention} />}
          <div className="save">
            <label>
              Name
              <input name="insight_name" value={name} placeholder={suggestedName(query)} onChange={(e) => setName(e.target.value)} />
            </label>
            <label>
              Description
              <input name="insight_description" value={description} placeholder="optional" onChange={(e) => setDescription(e.target.value)} />
            </label>
            <button type="button" className="primary" disabled={saving.busy || invalid !== null} onClick={save}>
              {saving.busy ? 'Saving…' : insight ? 'Save changes' : 'Save insight'}
            </button>
            {saving.done && (
              <p className="status ok" role="status">
                {saving.done}
              </p>
            )}
            {saving.error && <ErrorNote error={saving.error} what="save the insight" />}
          </div>
        </aside>
        <section className="card result" aria-label="Result" aria-busy={running}>
          <div className="result-header">
            <span className="muted">
              {answer.response && answer.body === body
                ? `${answer.response.cached ? 'cached' : 'computed'} from ${answer.response.source ?? 'events'} in ${Math.round(answer.response.took_ms ?? 0)} ms`
                : ''}
            </span>
            <button type="button" onClick={() => setRefreshTick((tick) => tick + 1)} disabled={invalid !== null}>
              Refresh
            </button>
          </div>
          {invalid ? (
            <p className="status empty">To run this query, {invalid}.</p>
          ) : answer.error && answer.body === body ? (
            <ErrorNote error={answer.error} what={`run the ${kind} query`} retry={() => setRefreshTick((tick) => tick + 1)} />
          ) : answer.response ? (
            <div className={running ? 'stale' : ''}>
              <InsightResult query={JSON.parse(answer.body) as InsightQuery} results={answer.response.results} display={display} />
            </div>
          ) : (
            <Loading what={`the ${kind} answer`} />
          )}
        </section>
      </div>
    </div>
  )
}
