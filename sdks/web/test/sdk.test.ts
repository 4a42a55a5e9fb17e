// Behaviour of the web SDK in jsdom: identity and sessions, pageviews, batching, retries, the offline queue,
// beacons, opt-out and Do Not Track.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { fakeBeacon, fakeCapture, HOST, KEY, load, settled, tick, unload } from './helpers'

const QUIET = { host: HOST, pageviews: false, flushInterval: 60000 }

beforeEach(() => {
  localStorage.clear()
  history.replaceState({}, '', '/')
})
afterEach(() => {
  unload()
  vi.unstubAllGlobals() // first: a setTimeout stubbed under fake timers would otherwise outlive them
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('identity and sessions', () => {
  it('makes RFC 4122 version 4 uuids', async () => {
    const { uuid } = await import('../src/util')
    const ids = Array.from({ length: 200 }, uuid)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(200)
  })

  it('keeps the anonymous id across page loads, and reset() makes a new one', async () => {
    fakeCapture()
    let sdk = await load()
    sdk.init(KEY, QUIET)
    const first = sdk.distinctId()
    sdk = await load()
    sdk.init(KEY, QUIET)
    expect(sdk.distinctId()).toBe(first)
    sdk.reset()
    expect(sdk.distinctId()).not.toBe(first)
  })

  it('identify links the anonymous id, later events carry the new one', async () => {
    const capture = fakeCapture()
    const sdk = await load()
    sdk.init(KEY, QUIET)
    const anonymous = sdk.distinctId()
    sdk.identify('user-1', { plan: 'pro' })
    sdk.capture('after')
    await sdk.flush()
    const [identify, after] = capture.events()
    expect(identify!.properties).toMatchObject({ $anon_distinct_id: anonymous, $set: { plan: 'pro' } })
    expect(after!.distinct_id).toBe('user-1')
  })

  it('rotates the session after 30 minutes idle, not before', async () => {
    const capture = fakeCapture()
    const now = vi.spyOn(Date, 'now')
    const sdk = await load()
    sdk.init(KEY, QUIET)
    for (const minutes of [0, 29, 58, 89]) {
      now.mockReturnValue(1_800_000_000_000 + minutes * 60_000)
      sdk.capture('tick')
    }
    await sdk.flush()
    const sessions = capture.events().map((e) => e.properties.$session_id)
    expect(sessions[0]).toBe(sessions[1]) // 29 min apart
    expect(sessions[1]).toBe(sessions[2]) // 29 min apart again: idle time, not session length
    expect(sessions[3]).not.toBe(sessions[2]) // 31 min idle
  })
})

describe('pageviews', () => {
  it('captures the first page and each single-page-app navigation once', async () => {
    const capture = fakeCapture()
    const sdk = await load()
    sdk.init(KEY, { host: HOST, flushInterval: 60000 })
    history.pushState({}, '', '/pricing')
    history.replaceState({}, '', '/pricing') // same URL: no new pageview
    history.replaceState({}, '', '/pricing?tab=2')
    history.back()
    await new Promise((resolve) => addEventListener('popstate', resolve, { once: true }))
    // the last pageview may come after the sends of the others have ended: it then waits for the 60 s timer
    await sdk.flush()
    await settled()
    const pages = capture.events().map((e) => [e.event, e.properties.$pathname, e.properties.$current_url])
    expect(pages).toEqual([
      ['$pageview', '/', 'http://localhost:3000/'],
      ['$pageview', '/pricing', 'http://localhost:3000/pricing'],
      ['$pageview', '/pricing', 'http://localhost:3000/pricing?tab=2'],
      ['$pageview', '/', 'http://localhost:3000/'],
    ])
  })

  it('sends $pageleave by beacon when the page goes away', async () => {
    const capture = fakeCapture()
    const { beacons, sendBeacon } = fakeBeacon()
    const sdk = await load()
    sdk.init(KEY, { host: HOST, flushInterval: 60000 })
    await settled() // the $pageview went by fetch at init
    dispatchEvent(new Event('pagehide'))
    await tick()
    expect(sendBeacon).toHaveBeenCalledOnce()
    expect(sendBeacon.mock.calls[0]![0]).toBe(HOST + '/capture')
    expect(sendBeacon.mock.calls[0]![1].type).toBe('text/plain')
    expect(beacons[0]!.batch.map((e) => e.event)).toEqual(['$pageleave'])
    expect(localStorage.getItem(`cp_${KEY}_q`)).toBe('[]') // handed over: not sent again by the next page
    expect(capture.events().map((e) => e.event)).toEqual(['$pageview'])
  })
})

describe('sending', () => {
  it('batches at flushAt, gzip as text/plain to /capture', async () => {
    const capture = fakeCapture()
    const sdk = await load()
    sdk.init(KEY, { ...QUIET, flushAt: 3 })
    for (let i = 0; i < 3; i++) sdk.capture('e', { i })
    await vi.waitFor(() => expect(capture.sent).toHaveLength(1))
    expect(capture.sent[0]).toMatchObject({ url: HOST + '/capture', contentType: 'text/plain', gzip: true })
    expect(capture.sent[0]!.body.batch).toHaveLength(3)
  })

  it('sends plain JSON where there is no CompressionStream', async () => {
    vi.stubGlobal('CompressionStream', undefined)
    const capture = fakeCapture()
    const sdk = await load()
    sdk.init(KEY, QUIET)
    sdk.capture('e')
    await sdk.flush()
    expect(capture.sent[0]!.gzip).toBe(false)
  })

  // With fake timers, sends must not wait on real I/O: CompressionStream runs on zlib's thread pool.
  const fakeTime = () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    vi.stubGlobal('CompressionStream', undefined)
  }

  it.each([500, 503, 429, 'down' as const])('retries after %s with the same uuids', async (failure) => {
    fakeTime()
    const capture = fakeCapture([failure, failure])
    const sdk = await load()
    sdk.init(KEY, QUIET)
    const uuid = sdk.capture('e')
    await sdk.flush()
    await vi.advanceTimersByTimeAsync(10_000) // backoff 0.5–1 s, then 1–2 s
    expect(capture.sent).toHaveLength(3)
    expect(capture.sent.map((r) => r.body.batch[0]!.uuid)).toEqual([uuid, uuid, uuid])
    expect(JSON.parse(localStorage.getItem(`cp_${KEY}_q`)!)).toEqual([])
  })

  it('waits as long as Retry-After says', async () => {
    fakeTime()
    const capture = fakeCapture([new Response('', { status: 429, headers: { 'Retry-After': '30' } })])
    const sdk = await load()
    sdk.init(KEY, QUIET)
    sdk.capture('e')
    await sdk.flush()
    await vi.advanceTimersByTimeAsync(29_000)
    expect(capture.sent).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(capture.sent).toHaveLength(2)
  })

  it('drops a batch capture refuses (4xx): resending would only repeat the refusal', async () => {
    fakeTime()
    const capture = fakeCapture([400])
    const sdk = await load()
    sdk.init(KEY, QUIET)
    sdk.capture('e')
    await sdk.flush()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(capture.sent).toHaveLength(1)
  })

  it('keeps what it could not send for the next page load, and sends it once', async () => {
    const down = fakeCapture(['down', 'down', 'down'])
    const { sendBeacon } = fakeBeacon()
    let sdk = await load()
    sdk.init(KEY, QUIET)
    const uuids = [sdk.capture('a'), sdk.capture('b')]
    await sdk.flush()
    dispatchEvent(new Event('pagehide')) // while capture fails: no beacon, the events stay stored
    expect(sendBeacon).not.toHaveBeenCalled()
    expect(down.sent).toHaveLength(1)

    const up = fakeCapture()
    sdk = await load() // the reload
    sdk.init(KEY, QUIET)
    await vi.waitFor(() => expect(up.sent).toHaveLength(1))
    expect(up.events().map((e) => e.uuid)).toEqual([...uuids, expect.any(String)])
    expect(up.events().map((e) => e.event)).toEqual(['a', 'b', '$pageleave'])
    await sdk.flush()
    expect(up.sent).toHaveLength(1)
  })

  it('keeps at most 1000 events while capture is unreachable', async () => {
    const capture = fakeCapture(Array(100).fill('down'))
    const sdk = await load()
    sdk.init(KEY, QUIET)
    sdk.capture('first')
    await sdk.flush() // fails: capture is unreachable from now on
    for (let i = 0; i < 1099; i++) sdk.capture('e', { i })
    await tick()
    const stored = JSON.parse(localStorage.getItem(`cp_${KEY}_q`)!)
    expect(stored).toHaveLength(1000)
    expect(stored[0].properties.i).toBe(99) // the oldest went first
    expect(capture.sent).toHaveLength(1) // and no send out of turn while backing off
  }, 20_000) // 1100 events in jsdom: slow on a busy machine
})

describe('consent', () => {
  it('opt-out captures nothing, is remembered, and opt-in resumes', async () => {
    const capture = fakeCapture()
    let sdk = await load()
    sdk.init(KEY, QUIET)
    sdk.optOut()
    expect(sdk.capture('e')).toBeUndefined()
    sdk = await load()
    sdk.init(KEY, QUIET)
    expect(sdk.capture('e')).toBeUndefined()
    sdk.optIn()
    expect(sdk.capture('e')).toBeDefined()
    await sdk.flush()
    expect(capture.events()).toHaveLength(1)
  })

  it('honours Do Not Track unless told not to, without remembering it', async () => {
    fakeCapture()
    const dnt = (value: string | null) => Object.defineProperty(navigator, 'doNotTrack', { value, configurable: true })
    dnt('1')
    try {
      let sdk = await load()
      sdk.init(KEY, QUIET)
      expect(sdk.capture('e')).toBeUndefined()
      sdk = await load()
      sdk.init(KEY, { ...QUIET, respectDnt: false })
      expect(sdk.capture('e')).toBeDefined()
      sdk = await load()
      sdk.init(KEY, QUIET)
      sdk.optIn() // the visitor's explicit choice wins over the browser's default
      expect(sdk.capture('e')).toBeDefined()
      dnt(null)
      sdk = await load()
      sdk.init(KEY, QUIET)
      expect(sdk.capture('e')).toBeDefined() // DNT turned off: capturing again, nothing was stored
    } finally {
      dnt(null)
    }
  })

  it('does nothing before init', async () => {
    const sdk = await load()
    expect(sdk.capture('e')).toBeUndefined()
  })
})
