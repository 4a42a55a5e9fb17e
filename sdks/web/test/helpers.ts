// A fresh SDK per test (module state reset, storage kept or not) and a fake capture API behind fetch.
import { Blob as NodeBlob } from 'node:buffer'
import { gunzipSync } from 'node:zlib'

import { expect, vi } from 'vitest'

import type { CaptureEvent } from '../src/types'

export type Sdk = typeof import('../src/index')
export const KEY = 'phc_test'
export const HOST = 'http://capture.test'

export interface Sent {
  url: string
  contentType: string | null
  gzip: boolean
  body: { api_key: string; batch: CaptureEvent[]; sent_at: string }
}

const originalHistory = { pushState: history.pushState, replaceState: history.replaceState }
const leftovers: (() => void)[] = []

/** The SDK as a new page load sees it: module state gone, localStorage as the last page left it.
 *
 * All loads of a test file share one jsdom window, so what a load hooks into the window (listeners, timers,
 * history methods) is recorded and undone by unload(), as a real page load would. */
export async function load(): Promise<Sdk> {
  unload()
  // jsdom's Blob has no stream(), which CompressionStream needs; Node's is the browser's Blob
  vi.stubGlobal('Blob', NodeBlob)
  const { addEventListener: listen, setTimeout: later, clearTimeout: cancel } = globalThis
  vi.stubGlobal('addEventListener', (type: string, listener: EventListener) => {
    listen(type, listener)
    leftovers.push(() => removeEventListener(type, listener))
  })
  vi.stubGlobal('setTimeout', (callback: () => void, ms?: number) => {
    const id = later(callback, ms)
    leftovers.push(() => cancel(id))
    return id
  })
  vi.resetModules()
  return import('../src/index')
}

export function unload(): void {
  for (const undo of leftovers.splice(0)) undo()
  Object.assign(history, originalHistory)
}

export async function decode(body: unknown): Promise<{ gzip: boolean; json: Sent['body'] }> {
  const bytes = Buffer.from(await new Response(body as BodyInit).arrayBuffer())
  const gzip = bytes[0] == 0x1f && bytes[1] == 0x8b
  return { gzip, json: JSON.parse((gzip ? gunzipSync(bytes) : bytes).toString()) }
}

/** fetch answered from `answers` in turn (a status, or 'down' for a network error), then 200. */
export function fakeCapture(answers: (number | 'down' | Response)[] = []) {
  const sent: Sent[] = []
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const { gzip, json } = await decode(init.body)
    sent.push({ url, contentType: new Headers(init.headers).get('content-type'), gzip, body: json })
    const answer = answers.shift() ?? 200
    if (answer == 'down') throw new TypeError('Failed to fetch')
    return answer instanceof Response ? answer : new Response('{"status":1}', { status: answer })
  })
  vi.stubGlobal('fetch', fetch)
  return { sent, fetch, events: () => sent.flatMap((request) => request.body.batch) }
}

export function fakeBeacon() {
  const beacons: Sent['body'][] = []
  const sendBeacon = vi.fn((_url: string, data: Blob) => {
    void data.text().then((text) => beacons.push(JSON.parse(text)))
    return true
  })
  Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true })
  return { beacons, sendBeacon }
}

export const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

/** Until the SDK has nothing left to send: what it sent has been answered. */
export const settled = () => vi.waitFor(() => expect(localStorage.getItem(`cp_${KEY}_q`)).toBe('[]'))
