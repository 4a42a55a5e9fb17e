// posthog-js in Debian's headless Chromium, driven by playwright-core (which never downloads a browser).
//
// Usage: node posthog-js.mjs HOST KEY RUN PAGE_ORIGIN — PAGE_ORIGIN serves this folder (the test's HTTP server),
// so the page loads posthog-js from node_modules and talks to HOST cross-origin, as a real site would.
// Reports every request the page made to HOST (status, content type, whether the body was gzip, the events in
// it) and the events posthog-js queued; exits 1 if a request failed, the page logged an error, or not every
// queued event was answered 200 in time.
import { gunzipSync } from 'node:zlib'

import { chromium } from 'playwright-core'

import { args, describe, finish } from './lib.mjs'

const DELIVERY_TIMEOUT_MS = 30000
const SETTLE_MS = 1000 // a retry or duplicate send would show up in this time
const { host, key, run } = args()
const pageOrigin = process.argv[5] ?? process.env.COMPAT_PAGE
const errors = []
const requests = []
const pending = []

function decode(body) {
  if (!body?.length) return null
  const gzip = body[0] === 0x1f && body[1] === 0x8b
  try {
    const json = JSON.parse((gzip ? gunzipSync(body) : body).toString('utf8'))
    return { gzip, json }
  } catch {
    return { gzip, json: null } // base64 or lz64 forms: reported, not decoded
  }
}

function eventsOf(json) {
  if (Array.isArray(json)) return json
  if (Array.isArray(json?.batch)) return json.batch
  return json ? [json] : []
}

async function record(request) {
  const response = await request.response()
  const body = decode(request.postDataBuffer())
  requests.push({
    method: request.method(),
    path: request.url().slice(host.length),
    status: response?.status() ?? null,
    contentType: request.headers()['content-type'] ?? null,
    gzip: body?.gzip ?? false,
    events: request.url().includes('/e/') ? eventsOf(body?.json) : [],
  })
}

function watch(page) {
  page.on('requestfinished', (request) => {
    if (request.url().startsWith(host)) pending.push(record(request))
  })
  page.on('requestfailed', (request) => errors.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`))
  page.on('pageerror', (error) => errors.push(`page error: ${describe(error)}`))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitForDelivery(page) {
  await page.waitForFunction(() => window.compat?.done, null, { timeout: DELIVERY_TIMEOUT_MS })
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS
  for (;;) {
    await Promise.all(pending)
    const queued = await page.evaluate(() => window.compat.sent.map((event) => event.uuid))
    const answered = new Set(requests.filter((r) => r.status === 200).flatMap((r) => r.events.map((e) => e.uuid)))
    if (queued.every((uuid) => answered.has(uuid))) return
    if (Date.now() > deadline) throw new Error(`not delivered in time: ${queued.filter((u) => !answered.has(u))}`)
    await sleep(250) // the request queue flushes every 3 s
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'], // Chromium refuses to sandbox as root, which CI is
})
const pageUrl = `${pageOrigin}/posthog-js.html?${new URLSearchParams({ host, key, run })}`
let page
try {
  page = await browser.newPage()
  watch(page)
  await page.goto(pageUrl)
  await waitForDelivery(page)
  await sleep(SETTLE_MS)
  await Promise.all(pending)
} catch (error) {
  errors.push(describe(error))
}
const state = page ? await page.evaluate(() => window.compat).catch(() => null) : null
await browser.close()
errors.push(...(state?.errors ?? []))
finish({ sent: state?.sent ?? [], requests, errors, pageUrl })
