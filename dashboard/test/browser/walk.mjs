// Walks the built dashboard in Debian's headless Chromium, driven by playwright-core (no browser download), as a
// person would: connect, see a trend, build and save a funnel, open retention, put the funnel on a new
// dashboard, reload it. Prints one JSON report of what the page showed at each step (the Python test
// tests/integration/dashboard/test_dashboard.py checks it against the API); a step that fails records its
// error and the walk goes on where it can.
//
// Usage: node test/browser/walk.mjs '{"url", "email", "password", "project_id", "funnel_name", "dashboard_name",
//                                    "screenshots": "<folder or null>"}'
import { chromium } from 'playwright-core'

const TIMEOUT_MS = 30000
const plan = JSON.parse(process.argv[2])
const report = { steps: {}, console_errors: [], page_errors: [] }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'], // Chromium refuses to sandbox as root, which CI is
})
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
page.setDefaultTimeout(TIMEOUT_MS)
page.on('pageerror', (error) => report.page_errors.push(String(error)))
page.on('console', (message) => message.type() === 'error' && report.console_errors.push(message.text()))

async function shot(name) {
  if (plan.screenshots) await page.screenshot({ path: `${plan.screenshots}/dashboard-${name}.png`, fullPage: true })
}

async function step(name, body) {
  const started = Date.now()
  try {
    report.steps[name] = { ok: true, ...(await body()) }
  } catch (error) {
    const alert = await page.locator('[role=alert]').allInnerTexts().catch(() => [])
    report.steps[name] = { ok: false, error: String(error?.message ?? error).split('\n')[0], alerts: alert }
  }
  report.steps[name].ms = Date.now() - started
}

/** The first of several outcomes to show up: a result, or the error note saying why not. */
async function outcome(selector) {
  const result = page.locator(selector).first()
  const failure = page.locator('[role=alert]').first()
  await result.or(failure).waitFor()
  if (await failure.isVisible()) throw new Error(`the page says: ${await failure.innerText()}`)
  return result
}

await step('connect', async () => {
  await page.goto(plan.url)
  const apiUrl = page.locator('input[name=api_url]')
  await page.waitForFunction(() => document.querySelector('input[name=api_url]')?.value)
  const prefilled = await apiUrl.inputValue()
  await page.fill('input[name=email]', plan.email)
  await page.fill('input[name=password]', plan.password)
  await shot('login')
  await page.click('button[type=submit]')
  await outcome('select[name=project]')
  await page.selectOption('select[name=project]', String(plan.project_id))
  await page.click('text=Open project')
  return { prefilled_api_url: prefilled }
})

await step('trends', async () => {
  const total = await outcome('[data-testid=trend-total]')
  await page.locator('[data-testid=trends-chart] canvas').waitFor()
  const shown = (await total.innerText()).trim()
  const query = { series: await page.locator('input[aria-label="Event of series 1"]').inputValue() }
  // a second series and bars, for the picture
  await page.click('text=+ Add series')
  await page.fill('input[aria-label="Event of series 2"]', 'product_viewed')
  await page.selectOption('select[name=display]', 'bar')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=trend-total]').length === 2)
  await shot('trends')
  return { shown_total: shown, hash: await page.evaluate(() => location.hash), query }
})

await step('funnel', async () => {
  await page.click('role=tab[name="Funnel"]')
  await page.fill('input[aria-label="Step 1"]', '$pageview')
  await page.fill('input[aria-label="Step 2"]', 'product_viewed')
  await page.click('text=+ Add step')
  await page.fill('input[aria-label="Step 3"]', 'purchase')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=funnel-step]').length === 3)
  await page.waitForFunction(() => !document.querySelector('[aria-busy=true]'))
  const steps = await page.locator('[data-testid=funnel-step]').evaluateAll((nodes) =>
    nodes.map((node) => ({ step: Number(node.dataset.step), count: Number(node.dataset.count), text: node.innerText })),
  )
  await page.fill('input[name=insight_name]', plan.funnel_name)
  await shot('funnel')
  await page.click('text=Save insight')
  await page.locator('[role=alert], [role=status]:has-text("Saved")').first().waitFor()
  await outcome('[role=status]:has-text("Saved")')
  const saved = await page.evaluate(() => location.hash) // #/insights/<id>?saved=1
  await page.locator('[data-testid=funnel-step]').first().waitFor() // the saved insight, opened again
  return { steps, insight_id: Number(saved.match(/^#\/insights\/(\d+)/)?.[1]) }
})

await step('retention', async () => {
  await page.goto(`${plan.url}#/insights/new?kind=retention`)
  const grid = await outcome('[data-testid=retention-grid]')
  await shot('retention')
  return { rows: await grid.locator('tbody tr').count() }
})

await step('dashboard', async () => {
  await page.goto(`${plan.url}#/dashboards`)
  await page.fill('input[name=dashboard_name]', plan.dashboard_name)
  await page.click('text=Create dashboard')
  await page.waitForFunction(() => /^#\/dashboards\/\d+$/.test(location.hash))
  await outcome('select[name=add_insight] >> nth=0')
  await page.waitForFunction(
    (name) => [...document.querySelectorAll('select[name=add_insight] option')].some((o) => o.textContent.startsWith(name)),
    plan.funnel_name,
  )
  const option = page.locator('select[name=add_insight] option', { hasText: plan.funnel_name })
  await page.selectOption('select[name=add_insight]', await option.getAttribute('value'))
  await page.click('text=Add tile')
  await outcome(`[data-testid=tile][aria-label="${plan.funnel_name}"] [data-testid=funnel-step]`)
  await page.reload()
  const tile = page.locator(`[data-testid=tile][aria-label="${plan.funnel_name}"]`)
  await outcome(`[data-testid=tile][aria-label="${plan.funnel_name}"] [data-testid=funnel-step]`)
  const counts = await tile.locator('[data-testid=funnel-step]').evaluateAll((nodes) => nodes.map((node) => Number(node.dataset.count)))
  await shot('dashboard')
  return {
    hash: await page.evaluate(() => location.hash),
    title: await page.locator('h2').first().innerText(),
    tiles: await page.locator('[data-testid=tile]').count(),
    funnel_counts_after_reload: counts,
  }
})

await browser.close()
process.stdout.write(JSON.stringify(report) + '\n')
