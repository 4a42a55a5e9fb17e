// One dashboard: every tile's insight with its answer (from the API's cache when fresh), renamed in place,
// tiles added from the saved insights or removed, and a refresh that recomputes them all.
import { useState, type FormEvent } from 'react'
import type { Api } from '../api/client'
import { drawable, type TileResult } from '../api/types'
import { useLoad } from '../hooks'
import { resultsOf } from '../queries'
import { go } from '../session'
import { InsightResult, storedDisplay } from './InsightResult'
import { Empty, ErrorNote, Loading } from './Status'

function tileError(tile: TileResult): string | null {
  if (!tile.error) return null
  return tile.error.message || `failed with status ${tile.error.status}`
}

export function DashboardView({ api, projectId, dashboardId }: { api: Api; projectId: number; dashboardId: number }) {
  const [refresh, setRefresh] = useState(0)
  const view = useLoad(() => api.dashboardResults(projectId, dashboardId, refresh > 0), [api, projectId, dashboardId, refresh])
  const insights = useLoad(() => api.insights(projectId), [api, projectId])
  const [renaming, setRenaming] = useState<string | null>(null)
  const [adding, setAdding] = useState('')
  const [error, setError] = useState<{ what: string; error: Error } | null>(null)

  async function act(what: string, action: () => Promise<unknown>) {
    setError(null)
    try {
      await action()
      view.reload()
    } catch (caught) {
      setError({ what, error: caught as Error })
    }
  }

  if (view.loading && !view.data) return <Loading what="the dashboard" />
  if (view.error && !view.data) return <ErrorNote error={view.error} what="load the dashboard" retry={view.reload} />
  if (!view.data) return null
  const { dashboard, tiles } = view.data

  function rename(event: FormEvent) {
    event.preventDefault()
    const name = renaming?.trim()
    if (name) act('rename the dashboard', () => api.updateDashboard(projectId, dashboardId, { name })).then(() => setRenaming(null))
  }

  return (
    <div>
      <header className="page-header">
        {renaming === null ? (
          <h2>
            {dashboard.name}{' '}
            <button type="button" className="link" onClick={() => setRenaming(dashboard.name)}>
              Rename
            </button>
          </h2>
        ) : (
          <form className="row" onSubmit={rename} aria-label="Rename dashboard">
            <input name="dashboard_rename" value={renaming} onChange={(e) => setRenaming(e.target.value)} autoFocus required />
            <button type="submit" className="primary">
              Save name
            </button>
            <button type="button" onClick={() => setRenaming(null)}>
              Cancel
            </button>
          </form>
        )}
        <div className="row">
          <form
            className="row"
            aria-label="Add a tile"
            onSubmit={(event) => {
              event.preventDefault()
              if (adding) act('add the tile', () => api.addTile(projectId, dashboardId, Number(adding))).then(() => setAdding(''))
            }}
          >
            <select name="add_insight" value={adding} onChange={(e) => setAdding(e.target.value)} aria-label="Insight to add">
              <option value="">{insights.loading ? 'Loading insights…' : insights.error ? 'Insights unavailable' : 'Add a saved insight…'}</option>
              {insights.data?.map((insight) => (
                <option key={insight.id} value={insight.id}>
                  {insight.name} ({insight.query.kind})
                </option>
              ))}
            </select>
            <button type="submit" disabled={!adding}>
              Add tile
            </button>
          </form>
          <button type="button" onClick={() => setRefresh((tick) => tick + 1)} disabled={view.loading}>
            {view.loading ? 'Refreshing…' : 'Refresh'}
          </button>
          <button
            type="button"
            className="link danger"
            onClick={() => confirm(`Delete the dashboard “${dashboard.name}”? Its insights stay saved.`) && act('delete the dashboard', () => api.deleteDashboard(projectId, dashboardId).then(() => go('/dashboards')))}
          >
            Delete
          </button>
        </div>
      </header>
      {error && <ErrorNote error={error.error} what={error.what} />}
      {view.error && <ErrorNote error={view.error} what="refresh the dashboard" retry={view.reload} />}
      {tiles.length === 0 ? (
        <Empty>This dashboard has no tiles yet: add a saved insight with the menu above.</Empty>
      ) : (
        <div className="tiles">
          {tiles.map((tile) => {
            const results = resultsOf(tile.result)
            const failure = tileError(tile)
            return (
              <section className="card tile" key={tile.tile_id} data-testid="tile" aria-label={tile.insight.name}>
                <header className="tile-header">
                  <a href={`#/insights/${tile.insight.id}`}>
                    <h3>{tile.insight.name}</h3>
                  </a>
                  <button type="button" className="link danger" onClick={() => act('remove the tile', () => api.removeTile(projectId, dashboardId, tile.tile_id))}>
                    Remove
                  </button>
                </header>
                {failure ? (
                  <ErrorNote error={failure} what="compute this tile" />
                ) : !drawable(tile.insight.query) ? (
                  <Empty>A {tile.insight.query.kind} insight: this app draws trends, funnels and retention; ask the API for it.</Empty>
                ) : results ? (
                  <InsightResult query={tile.insight.query} results={results} display={storedDisplay(tile.insight.id)} height={220} />
                ) : (
                  <Empty>No answer for this tile.</Empty>
                )}
              </section>
            )
          })}
        </div>
      )}
    </div>
  )
}
