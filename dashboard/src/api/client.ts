// The typed client of the query and auth API: one method per endpoint the dashboard calls, errors as ApiError
// carrying the API's own message ({"error": {"code", "message", "field"}}).
import type {
  Dashboard,
  DashboardList,
  DashboardResults,
  Insight,
  InsightInput,
  InsightList,
  InsightQuery,
  InsightUpdate,
  Me,
  Project,
  QueryResponse,
  SqlResponse,
  Tokens,
} from './types'

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly field: string | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** A log-in (access token, and the refresh token that renews it) or a personal API key (phx_…). */
export type Credential = { kind: 'token'; access: string; refresh?: string | null } | { kind: 'key'; key: string }

/** What the API says went wrong, as a sentence: its message, the field it names, the status. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let code: string | null = null
  let field: string | null = null
  let message = `${response.status} ${response.statusText}`.trim()
  try {
    const body = await response.json()
    const error = body?.error ?? body
    if (typeof error?.message === 'string') message = error.message
    else if (typeof body?.detail === 'string') message = body.detail
    code = error?.code ?? null
    field = error?.field ?? null
  } catch {
    // not JSON: keep the status line
  }
  const where = field && !message.includes(field) ? ` (${field})` : ''
  return new ApiError(`${message}${where}`, response.status, code, field)
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private credential: Credential | null = null,
    /** Told when a refresh replaced the access token, so the session can keep it. */
    private onCredential: (credential: Credential) => void = () => {},
  ) {}

  private url(path: string): string {
    return this.baseUrl.replace(/\/+$/, '') + path
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const secret = this.credential?.kind === 'key' ? this.credential.key : this.credential?.access
    if (secret) headers.Authorization = `Bearer ${secret}`
    try {
      return await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (error) {
      throw new ApiError(`cannot reach the API at ${this.baseUrl}: ${String(error)}`, 0, 'unreachable')
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await this.send(method, path, body)
    if (response.status === 401 && this.credential?.kind === 'token' && this.credential.refresh) {
      const renewed = await this.send('POST', '/api/auth/refresh', { refresh_token: this.credential.refresh })
      if (renewed.ok) {
        const tokens = (await renewed.json()) as Tokens
        this.credential = { kind: 'token', access: tokens.access_token, refresh: tokens.refresh_token ?? this.credential.refresh }
        this.onCredential(this.credential)
        response = await this.send(method, path, body)
      }
    }
    if (!response.ok) throw await errorFrom(response)
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  // auth
  logIn(email: string, password: string): Promise<Tokens> {
    return this.request('POST', '/api/auth/login', { email, password })
  }
  me(): Promise<Me> {
    return this.request('GET', '/api/users/me')
  }
  projects(): Promise<Project[]> {
    return this.request('GET', '/api/projects')
  }

  // queries
  query<T extends QueryResponse = QueryResponse>(projectId: number, query: InsightQuery, refresh = false): Promise<T> {
    return this.request('POST', `/api/projects/${projectId}/query`, refresh ? { ...query, refresh } : query)
  }
  /** The project's event names, most frequent first (for the forms' suggestions). */
  async eventNames(projectId: number): Promise<string[]> {
    const answer = await this.request<SqlResponse>('POST', `/api/projects/${projectId}/query`, {
      kind: 'sql',
      sql: 'SELECT event, count() AS n FROM events GROUP BY event ORDER BY n DESC LIMIT 200',
    })
    return answer.results.rows.map((row) => String(row[0]))
  }

  // insights
  insights(projectId: number): Promise<Insight[]> {
    return this.request<InsightList>('GET', `/api/projects/${projectId}/insights`).then((page) => page.results)
  }
  insight(projectId: number, id: number): Promise<Insight> {
    return this.request('GET', `/api/projects/${projectId}/insights/${id}`)
  }
  createInsight(projectId: number, insight: InsightInput): Promise<Insight> {
    return this.request('POST', `/api/projects/${projectId}/insights`, insight)
  }
  updateInsight(projectId: number, id: number, change: InsightUpdate): Promise<Insight> {
    return this.request('PATCH', `/api/projects/${projectId}/insights/${id}`, change)
  }
  deleteInsight(projectId: number, id: number): Promise<void> {
    return this.request('DELETE', `/api/projects/${projectId}/insights/${id}`)
  }

  // dashboards
  dashboards(projectId: number): Promise<Dashboard[]> {
    return this.request<DashboardList>('GET', `/api/projects/${projectId}/dashboards`).then((page) => page.results)
  }
  createDashboard(projectId: number, name: string, description?: string): Promise<Dashboard> {
    return this.request('POST', `/api/projects/${projectId}/dashboards`, { name, description })
  }
  updateDashboard(projectId: number, id: number, change: { name?: string; description?: string }): Promise<Dashboard> {
    return this.request('PATCH', `/api/projects/${projectId}/dashboards/${id}`, change)
  }
  deleteDashboard(projectId: number, id: number): Promise<void> {
    return this.request('DELETE', `/api/projects/${projectId}/dashboards/${id}`)
  }
  addTile(projectId: number, dashboardId: number, insightId: number): Promise<unknown> {
    return this.request('POST', `/api/projects/${projectId}/dashboards/${dashboardId}/tiles`, { insight_id: insightId })
  }
  removeTile(projectId: number, dashboardId: number, tileId: number): Promise<void> {
    return this.request('DELETE', `/api/projects/${projectId}/dashboards/${dashboardId}/tiles/${tileId}`)
  }
  dashboardResults(projectId: number, id: number, refresh = false): Promise<DashboardResults> {
    const query = refresh ? '?refresh=true' : ''
    return this.request('GET', `/api/projects/${projectId}/dashboards/${id}/results${query}`)
  }
}
