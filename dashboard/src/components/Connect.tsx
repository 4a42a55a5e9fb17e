// Connect: the API's URL, then a log-in (e-mail and password) or a personal key; then the project to open.
import { useEffect, useState, type FormEvent } from 'react'
import { Api, type Credential } from '../api/client'
import type { Project } from '../api/types'
import { defaultApiUrl, type Session } from '../session'
import { ErrorNote } from './Status'

export function Connect({ onConnected }: { onConnected: (session: Session) => void }) {
  const [apiUrl, setApiUrl] = useState('')
  const [method, setMethod] = useState<'password' | 'key'>('password')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [key, setKey] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error | null>(null)
  const [connected, setConnected] = useState<{ credential: Credential; projects: Project[]; who: string } | null>(null)
  const [projectId, setProjectId] = useState<number | null>(null)

  useEffect(() => {
    defaultApiUrl().then((url) => setApiUrl((current) => current || url))
  }, [])

  async function connect(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      let credential: Credential
      if (method === 'password') {
        const tokens = await new Api(apiUrl).logIn(email, password)
        credential = { kind: 'token', access: tokens.access_token, refresh: tokens.refresh_token }
      } else {
        credential = { kind: 'key', key: key.trim() }
      }
      const api = new Api(apiUrl, credential)
      const [me, projects] = await Promise.all([api.me(), api.projects()])
      setConnected({ credential, projects, who: me.email })
      setProjectId(projects[0]?.id ?? null)
    } catch (caught) {
      setError(caught as Error)
    } finally {
      setBusy(false)
    }
  }

  function open(event: FormEvent) {
    event.preventDefault()
    if (connected && projectId !== null) onConnected({ apiUrl, credential: connected.credential, projectId })
  }

  return (
    <main className="connect">
      <h1>
        <span className="logo">◆</span> Clickpath
      </h1>
      {!connected ? (
        <form className="card" onSubmit={connect} aria-label="Connect">
          <h2>Connect to your Clickpath API</h2>
          <label>
            API URL
            <input name="api_url" value={apiUrl} onChange={(e) => setApiUrl(e.target.value)} required />
          </label>
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={method === 'password'} onClick={() => setMethod('password')}>
              E-mail and password
            </button>
            <button type="button" role="tab" aria-selected={method === 'key'} onClick={() => setMethod('key')}>
              Personal API key
            </button>
          </div>
          {method === 'password' ? (
            <>
              <label>
                E-mail
                <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
              </label>
              <label>
                Password
                <input
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                />
              </label>
            </>
          ) : (
            <label>
              Personal API key
              <input name="personal_key" placeholder="phx_…" value={key} onChange={(e) => setKey(e.target.value)} required />
              <small>Create one with POST /api/personal-keys; it needs the read scope (write to save insights).</small>
            </label>
          )}
          {error && <ErrorNote error={error} what="connect" />}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </form>
      ) : (
        <form className="card" onSubmit={open} aria-label="Pick a project">
          <h2>Pick a project</h2>
          <p className="muted">Connected as {connected.who}.</p>
          {connected.projects.length === 0 ? (
            <p className="status empty">This account belongs to no project yet: create one in an organization first.</p>
          ) : (
            <label>
              Project
              <select name="project" value={projectId ?? ''} onChange={(e) => setProjectId(Number(e.target.value))}>
                {connected.projects.map((project) => (
                  <option key={project.id} value={project.id}>
                    {project.name} (#{project.id})
                  </option>
                ))}
              </select>
            </label>
          )}
          <div className="row">
            <button type="button" onClick={() => setConnected(null)}>
              Back
            </button>
            <button type="submit" className="primary" disabled={projectId === null}>
              Open project
            </button>
          </div>
        </form>
      )}
    </main>
  )
}
