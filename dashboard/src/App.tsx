// The shell: Connect until there is a session, then the project's insights and dashboards (routes in the hash).
import { useMemo, useState } from 'react'
import { Api } from './api/client'
import type { InsightKind } from './api/types'
import { Connect } from './components/Connect'
import { DashboardView } from './components/DashboardView'
import { Dashboards } from './components/Dashboards'
import { InsightEditor } from './components/InsightEditor'
import { InsightsList } from './components/InsightsList'
import { Empty } from './components/Status'
import { useLoad } from './hooks'
import { go, loadSession, saveSession, useRoute, type Session } from './session'

const KINDS: InsightKind[] = ['trends', 'funnel', 'retention']

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession)
  const update = (next: Session | null) => {
    saveSession(next)
    setSession(next)
  }
  if (!session || session.projectId === null) {
    return (
      <Connect
        onConnected={(next) => {
          update(next)
          if (!window.location.hash || window.location.hash === '#/') go('/insights/new?kind=trends')
        }}
      />
    )
  }
  return <Connected session={session} update={update} />
}

function Connected({ session, update }: { session: Session; update: (session: Session | null) => void }) {
  const route = useRoute()
  const projectId = session.projectId as number
  // the client keeps a renewed access token in the session without re-rendering everything
  const api = useMemo(
    () => new Api(session.apiUrl, session.credential, (credential) => saveSession({ ...session, credential })),
    [session.apiUrl, session.credential], // switching project keeps the client
  )
  const projects = useLoad(() => api.projects(), [api])
  const [section, id] = route.path
  let page
  if (section === 'dashboards' && id) page = <DashboardView key={id} api={api} projectId={projectId} dashboardId={Number(id)} />
  else if (section === 'dashboards') page = <Dashboards api={api} projectId={projectId} />
  else if (section === 'insights' && id) {
    const kind = route.params.get('kind') as InsightKind | null
    page = (
      <InsightEditor
        key={`${id}-${kind}`}
        api={api}
        projectId={projectId}
        insightId={id === 'new' ? null : Number(id)}
        initialKind={kind && KINDS.includes(kind) ? kind : 'trends'}
        justSaved={route.params.has('saved')}
      />
    )
  } else if (section === 'insights' || !section) page = <InsightsList api={api} projectId={projectId} />
  else page = <Empty>Nothing here: {window.location.hash} is not a page of this app.</Empty>

  return (
    <div className="app">
      <nav className="topbar">
        <span className="brand">
          <span className="logo">◆</span> Clickpath
        </span>
        <a href="#/insights" className={section === 'insights' || !section ? 'active' : ''}>
          Insights
        </a>
        <a href="#/dashboards" className={section === 'dashboards' ? 'active' : ''}>
          Dashboards
        </a>
        <span className="spacer" />
        <label className="project-picker">
          Project
          <select
            name="project_switch"
            value={projectId}
            onChange={(e) => {
              update({ ...session, projectId: Number(e.target.value) })
              go('/insights')
            }}
          >
            {(projects.data ?? []).map((project) => (
              <option key={project.id} value={project.id}>
                {project.name}
              </option>
            ))}
            {!projects.data?.some((project) => project.id === projectId) && <option value={projectId}>#{projectId}</option>}
          </select>
        </label>
        <span className="muted api-url" title="The API this dashboard talks to">
          {session.apiUrl}
        </span>
        <button type="button" className="link" onClick={() => update(null)}>
          Disconnect
        </button>
      </nav>
      <main className="page">{page}</main>
      <EventNames api={api} projectId={projectId} />
    </div>
  )
}

/** The project's event names, offered by every event input (`list="events"`). */
function EventNames({ api, projectId }: { api: Api; projectId: number }) {
  const names = useLoad(() => api.eventNames(projectId), [api, projectId])
  return (
    <datalist id="events">
      {(names.data ?? []).map((name) => (
        <option key={name} value={name} />
      ))}
    </datalist>
  )
}
