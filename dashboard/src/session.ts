// Where the dashboard keeps who it is connected as (localStorage, this browser only) and where it is (the hash).
import { useEffect, useState } from 'react'
import type { Credential } from './api/client'

export interface Session {
  apiUrl: string
  credential: Credential
  projectId: number | null
}

const KEY = 'clickpath.dashboard.session'

export function loadSession(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null
    return stored?.apiUrl && stored.credential ? stored : null
  } catch {
    return null
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session))
  else localStorage.removeItem(KEY)
}

/** Where the API is: /config.json, which the stack's static server writes from its settings (same host, API port). */
export async function defaultApiUrl(): Promise<string> {
  try {
    const response = await fetch('/config.json', { cache: 'no-store' })
    const config = (await response.json()) as { api_url?: string }
    if (config.api_url) return config.api_url
    if (config.api_url === '') return window.location.origin // the dev server proxies /api
  } catch {
    // no config: guess the local stack's layout
  }
  return `${window.location.protocol}//${window.location.hostname}:8001`
}

/** The route, from the URL's hash: #/insights/new?kind=funnel → {path: ['insights', 'new'], params}. */
export interface Route {
  path: string[]
  params: URLSearchParams
}

function parse(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?')
  return { path: path.split('/').filter(Boolean), params: new URLSearchParams(search) }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash))
  useEffect(() => {
    const changed = () => setRoute(parse(window.location.hash))
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return route
}

export function go(hash: string): void {
  window.location.hash = hash
}
