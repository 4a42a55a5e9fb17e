export type Properties = Record<string, unknown>

/** One event as POST /capture takes it (sdks/contract/envelope.json). */
export interface CaptureEvent {
  event: string
  distinct_id: string
  properties: Properties
  timestamp: string
  uuid: string
}

export interface Options {
  /** The capture API, e.g. https://capture.example.com (no trailing /capture). */
  host?: string
  /** Send once this many events are queued (default 20)... */
  flushAt?: number
  /** ...or this many ms after the first one was queued (default 1000). */
  flushInterval?: number
  /** Capture $pageview on load and on single-page-app navigation (default true). */
  pageviews?: boolean
  /** Capture $pageleave when the page is hidden for good (default true). */
  pageleave?: boolean
  /** Capture nothing when the browser sends Do Not Track (default true). */
  respectDnt?: boolean
}
