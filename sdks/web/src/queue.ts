// The send queue: batched, retried with backoff, kept in localStorage so a reload or a long outage loses
// nothing, and handed to sendBeacon when the page is hidden.
import type { CaptureEvent } from './types'
import { gzip, load, save } from './util'

const MAX_QUEUE = 1000 // events kept while capture is unreachable; the oldest go first
const MAX_BATCH = 100
const MAX_BACKOFF_MS = 60000

export interface Queue {
  push(event: CaptureEvent): void
  flush(): Promise<void>
  beacon(): void
  clear(): void
}

export function queue(url: string, apiKey: string, storageKey: string, flushAt: number, interval: number): Queue {
  let events: CaptureEvent[] = load(storageKey) ?? []
  let inFlight: CaptureEvent[] = []
  let failures = 0 // consecutive: while capture fails, the page keeps what it could not send for the next load
  let timer: ReturnType<typeof setTimeout> | undefined
  let saving = false

  const body = (batch: CaptureEvent[]) =>
    JSON.stringify({ api_key: apiKey, batch, sent_at: new Date().toISOString() })
  // Stored once per burst of calls (the queue can be 1000 events of JSON), before the page can go away.
  const keep = () => {
    if (!saving) queueMicrotask(() => ((saving = false), save(storageKey, events)))
    saving = true
  }

  function schedule(ms: number) {
    if (timer == null) timer = setTimeout(flush, ms)
  }

  async function flush() {
    clearTimeout(timer)
    timer = undefined
    if (inFlight.length || !events.length) return
    const batch = (inFlight = events.slice(0, MAX_BATCH))
    let retryIn = 0
    try {
      // text/plain keeps it a "simple" CORS request (no preflight); capture recognises gzip by its bytes
      const response = await fetch(url, { method: 'POST', body: await gzip(body(batch)), headers: { 'Content-Type': 'text/plain' } })
      const status = response.status
      // 4xx other than 408/429 is a refusal of the whole batch: sending it again would only repeat it
      if (status > 299 && (status > 499 || status == 408 || status == 429)) retryIn = +(response.headers.get('Retry-After') ?? 0) * 1000 || -1
    } catch {
      retryIn = -1 // network error, offline, server down
    }
    inFlight = []
    if (retryIn) {
      failures++
      clearTimeout(timer) // a batch timer set meanwhile must not cut the backoff short
      timer = undefined
      schedule(retryIn > 0 ? retryIn : Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures) * (0.5 + Math.random() / 2))
    } else {
      failures = 0
      events = events.filter((event) => !batch.includes(event))
      keep()
      if (events.length) void flush() // what came in meanwhile, or the rest of a long backlog
    }
  }

  return {
    push(event) {
      events.push(event)
      events.splice(0, events.length - MAX_QUEUE)
      keep()
      // while capture is failing, the retry already scheduled waits its turn; else a full batch goes now
      if (failures) return
      if (events.length >= flushAt) void flush()
      else schedule(interval)
    },
    flush,
    beacon() {
      // Not while capture is failing: a beacon's answer is never known, so those events stay stored
      // and go with the next page load instead.
      const rest = events.filter((event) => !inFlight.includes(event))
      if (failures || !rest.length || !navigator.sendBeacon?.(url, new Blob([body(rest)], { type: 'text/plain' }))) return
      events = inFlight
      keep()
    },
    clear() {
      events = []
      keep()
    },
  }
}
