// The project's saved insights, and the way to start a new one of each kind.
import type { Api } from '../api/client'
import { useLoad } from '../hooks'
import { Empty, ErrorNote, Loading } from './Status'

export function InsightsList({ api, projectId }: { api: Api; projectId: number }) {
  const insights = useLoad(() => api.insights(projectId), [api, projectId])
  return (
    <div>
      <header className="page-header">
        <h2>Insights</h2>
        <div className="row">
          <a className="button primary" href="#/insights/new?kind=trends">
            New trend
          </a>
          <a className="button" href="#/insights/new?kind=funnel">
            New funnel
          </a>
          <a className="button" href="#/insights/new?kind=retention">
            New retention
          </a>
        </div>
      </header>
      {insights.loading ? (
        <Loading what="saved insights" />
      ) : insights.error ? (
        <ErrorNote error={insights.error} what="list the saved insights" retry={insights.reload} />
      ) : insights.data?.length === 0 ? (
        <Empty>No saved insight yet: build a trend, a funnel or a retention grid above and save it.</Empty>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {insights.data?.map((insight) => (
              <tr key={insight.id}>
                <td>
                  <a href={`#/insights/${insight.id}`}>{insight.name}</a>
                  {insight.description && <div className="muted">{insight.description}</div>}
                </td>
                <td>{insight.query.kind}</td>
                <td>{new Date(insight.updated_at).toLocaleString()}</td>
                <td className="number">
                  <button
                    type="button"
                    className="link danger"
                    onClick={() => {
                      if (confirm(`Delete “${insight.name}”? It also leaves every dashboard it is on.`)) {
                        api.deleteInsight(projectId, insight.id).then(insights.reload, (error: Error) => alert(error.message))
                      }
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
