// The web SDK's script-tag bundle in Debian's headless Chromium, driven by playwright-core (no browser download).
//
// Usage: node test/browser/run.mjs PAGE_URL [RELOAD_AFTER_FAILURES]
// PAGE_URL is page.html?host=…&key=…&run=… on a server of sdks/web. With RELOAD_AFTER_FAILURES, the page is
// reloaded once capture has failed that many requests (the offline queue must survive it). Waits until the
// SDK's queue is empty, then prints one JSON report: the page's report (uuids of its calls), every request
// to capture (path, fetch or beacon, status, content type) and errors; exits 1 on errors. Playwright cannot
// see a Blob request body, so what the requests carried is recorded by the test's proxy instead.
import { chromium } from 'playwright-core'

const TIMEOUT_MS = 60000
const SETTLE_MS = 1000 // a retry or duplicate send would show up in this time
const [pageUrl, reloadAfter] = [process.argv[2], Number(process.argv[3] ?? 0)]
const host = new URL(pageUrl).searchParams.get('host')
const key = new URL(pageUrl).searchParams.get('key')
const requests = []
const errors = []
const pending = []

async function record(request, failed) {
  const response = failed ? null : await request.response()
  requests.push({
    path: new URL(request.url()).pathname,
    type: request.resourceType(), // fetch, or ping for sendBeacon
    status: response?.status() ?? null,
    contentType: request.headers()['content-type'] ?? null,
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition, what) {
  const deadline = Date.now() + TIMEOUT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'], // Chromium refuses to sandbox as root, which CI is
})
let report = null
try {
  const page = await browser.newPage()
  page.on('requestfinished', (r) => r.url().startsWith(host) && r.method() === 'POST' && pending.push(record(r, false)))
  page.on('requestfailed', (r) => r.url().startsWith(host) && r.method() === 'POST' && pending.push(record(r, true)))
  page.on('pageerror', (error) => errors.push(`page error: ${error}`))
  await page.goto(pageUrl)
  if (reloadAfter) {
    await until(() => requests.filter((r) => r.status !== 200).length >= reloadAfter, `${reloadAfter} failures`)
    await page.reload()
  }
  const queued = () => page.evaluate((name) => localStorage.getItem(name), `cp_${key}_q`)
  await until(async () => (await queued()) === '[]', 'the queue to empty')
  await sleep(SETTLE_MS)
  await Promise.all(pending)
  report = await page.evaluate(() => window.report)
  await page.evaluate(() => clickpath.optOut()) // so closing the page sends no $pageleave after the report
} catch (error) {
  errors.push(String(error?.stack ?? error))
}
await browser.close()
process.stdout.write(JSON.stringify({ report, requests, errors }) + '\n')
process.exitCode = errors.length ? 1 : 0
