// The project's dashboards, and a form to create one.
import { useState, type FormEvent } from 'react'
import type { Api } from '../api/client'
import { useLoad } from '../hooks'
import { go } from '../session'
import { Empty, ErrorNote, Loading } from './Status'

export function Dashboards({ api, projectId }: { api: Api; projectId: number }) {
  const dashboards = useLoad(() => api.dashboards(projectId), [api, projectId])
  const [name, setName] = useState('')
  const [error, setError] = useState<Error | null>(null)

  async function create(event: FormEvent) {
    event.preventDefault()
    setError(null)
    try {
      const dashboard = await api.createDashboard(projectId, name.trim())
      go(`/dashboards/${dashboard.id}`)
    } catch (caught) {
      setError(caught as Error)
    }
  }

  return (
    <div>
      <header className="page-header">
        <h2>Dashboards</h2>
        <form className="row" onSubmit={create} aria-label="New dashboard">
          <input name="dashboard_name" placeholder="New dashboard name" value={name} onChange={(e) => setName(e.target.value)} required />
          <button type="submit" className="primary">
            Create dashboard
          </button>
        </form>
      </header>
      {error && <ErrorNote error={error} what="create the dashboard" />}
      {dashboards.loading ? (
        <Loading what="dashboards" />
      ) : dashboards.error ? (
        <ErrorNote error={dashboards.error} what="list the dashboards" retry={dashboards.reload} />
      ) : dashboards.data?.length === 0 ? (
        <Empty>No dashboard yet: name one above, then add saved insights to it.</Empty>
      ) : (
        <ul className="cards">
          {dashboards.data?.map((dashboard) => (
            <li key={dashboard.id} className="card">
              <a href={`#/dashboards/${dashboard.id}`}>
                <strong>{dashboard.name}</strong>
              </a>
              <div className="muted">
                {dashboard.tiles.length} {dashboard.tiles.length === 1 ? 'tile' : 'tiles'}
                {dashboard.description ? ` · ${dashboard.description}` : ''}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
