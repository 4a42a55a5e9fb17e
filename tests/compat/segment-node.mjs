// @segment/analytics-node, configured with nothing but the host and the write key.
import { Analytics } from '@segment/analytics-node'

import { args, describe, finish } from './lib.mjs'

const { host, key, run } = args()
const user = `user-${run}`
const errors = []
const sent = []
const requests = []

const analytics = new Analytics({ writeKey: key, host })
analytics.on('error', (error) => errors.push(describe(error)))
analytics.on('http_request', ({ url, method, headers }) =>
  requests.push({ url, method, authorization: (headers.Authorization ?? '').split(' ')[0], retry: headers['X-Retry-Count'] ?? null }),
)
analytics.on('http_response', ({ url, status }) => requests.push({ url, status }))

// The callback fires once a message was delivered (or given up on): its ctx.event is the message as sent.
const delivered = (error, ctx) => (error ? errors.push(describe(error)) : sent.push(ctx.event))

analytics.track({ userId: user, event: 'compat order', properties: { run, plan: 'pro', amount: 42 } }, delivered)
analytics.identify({ userId: user, traits: { email: `${run}@example.com`, plan: 'pro' } }, delivered)
analytics.page(
  { userId: user, category: 'Docs', name: 'Pricing', properties: { run, url: 'https://shop.example/pricing' } },
  delivered,
)
analytics.screen({ userId: user, name: 'Checkout', properties: { run } }, delivered)
analytics.group({ userId: user, groupId: `acme-${run}`, traits: { name: 'Acme' } }, delivered)
analytics.alias({ userId: `alias-${run}`, previousId: user }, delivered)

try {
  await analytics.closeAndFlush({ timeout: 30000 })
} catch (error) {
  errors.push(describe(error))
}
finish({ sent, requests, errors })
