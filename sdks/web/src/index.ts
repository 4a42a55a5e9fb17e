// Clickpath web SDK: one instance per page, configured by init().
import { queue, type Queue } from './queue'
import type { CaptureEvent, Options, Properties } from './types'
import { load, save, uuid } from './util'

export type { CaptureEvent, Options, Properties }

export const VERSION = '0.1.0'
const SESSION_IDLE_MS = 30 * 60 * 1000 // a visit ends after 30 minutes without an event, as in PostHog and GA

/** What survives a reload, under short keys: every byte of the bundle counts. */
interface State {
  d: string // distinct id
  s?: string // session id
  t?: number // last event, ms
  p?: Properties // super properties
  o?: 1 // opted out
}

let state: State
let stateKey: string
let sendQueue: Queue | undefined
let lastUrl = ''
let doNotTrack = false // not stored: it follows the browser's setting on each page load

const persist = () => save(stateKey, state)

/** Start the SDK: restores the visitor from localStorage, sends what a previous page left, captures $pageview. */
export function init(apiKey: string, options: Options = {}): void {
  if (sendQueue) return
  const { host = '', flushAt = 20, flushInterval = 1000, pageviews = true, pageleave = true, respectDnt = true } = options
  stateKey = 'cp_' + apiKey
  state = load(stateKey) ?? { d: uuid() }
  persist()
  doNotTrack = respectDnt && (navigator.doNotTrack == '1' || (window as { doNotTrack?: string }).doNotTrack == '1')
  sendQueue = queue(host.replace(/\/$/, '') + '/capture', apiKey, stateKey + '_q', flushAt, flushInterval)
  addEventListener('online', sendQueue.flush)
  addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && sendQueue!.beacon())
  addEventListener('pagehide', () => {
    if (pageleave) capture('$pageleave')
    sendQueue!.beacon()
  })
  if (pageviews) watchNavigation()
  void sendQueue.flush()
}

function watchNavigation() {
  const onChange = () => location.href != lastUrl && page()
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method]
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args)
      onChange()
    }
  }
  addEventListener('popstate', onChange)
  onChange()
}

/** Queue one event; returns its uuid (undefined when not initialised or opted out). */
export function capture(event: string, properties: Properties = {}): string | undefined {
  if (!sendQueue || state.o || doNotTrack) return
  const now = Date.now()
  if (!state.s || now - state.t! > SESSION_IDLE_MS) state.s = uuid()
  state.t = now
  persist()
  const message: CaptureEvent = {
    event,
    distinct_id: state.d,
    properties: {
      $current_url: location.href,
      $host: location.host,
      $pathname: location.pathname,
      $referrer: document.referrer,
      $screen_width: screen.width,
      ...state.p,
      ...properties,
      $session_id: state.s,
      $lib: 'clickpath-web',
      $lib_version: VERSION,
    },
    timestamp: new Date(now).toISOString(),
    uuid: uuid(),
  }
  sendQueue.push(message)
  return message.uuid
}

/** A $pageview of the current URL (automatic unless init's `pageviews: false`). */
export function page(properties?: Properties): string | undefined {
  lastUrl = location.href
  return capture('$pageview', properties)
}

/** The visitor is `distinctId` from now on: $identify links the anonymous id and sets person properties. */
export function identify(distinctId: string, set?: Properties, setOnce?: Properties): string | undefined {
  const previous = state.d
  state.d = distinctId
  persist()
  return capture('$identify', {
    $anon_distinct_id: previous == distinctId ? undefined : previous,
    $set: set,
    $set_once: setOnce,
  })
}

/** `alias` becomes another id of the current person. */
export const alias = (alias: string): string | undefined => capture('$create_alias', { alias })

/** Super properties: added to every later event (an event's own properties win). */
export function register(properties: Properties): void {
  state.p = { ...state.p, ...properties }
  persist()
}

export function unregister(key: string): void {
  delete state.p?.[key]
  persist()
}

/** Logging out: a new anonymous id and session, no super properties. */
export function reset(): void {
  state = { d: uuid(), o: state.o }
  persist()
}

/** Stop capturing (remembered); what was queued is dropped. */
export function optOut(): void {
  state.o = 1
  persist()
  sendQueue?.clear()
}

/** Capture again, also when the browser sends Do Not Track: an explicit choice wins. */
export function optIn(): void {
  delete state.o
  doNotTrack = false
  persist()
}

export const distinctId = (): string | undefined => state?.d

/** Send what is queued now (resolves when capture answered, or the retry is scheduled). */
export const flush = (): Promise<void> => sendQueue?.flush() ?? Promise.resolve()
