// posthog-node, configured with nothing but the host and the project key (gzip is its default since 5.0).
import { PostHog } from 'posthog-node'

import { args, describe, finish } from './lib.mjs'

const { host, key, run } = args()
const user = `user-${run}`
const errors = []
const sent = []

const client = new PostHog(key, { host })
client.on('error', (error) => errors.push(describe(error)))
client.on('flush', (messages) => sent.push(...messages)) // exactly what went over the wire, uuids included

client.capture({ distinctId: user, event: 'compat order', properties: { run, plan: 'pro', amount: 42 } })
client.identify({
  distinctId: user,
  properties: { email: `${run}@example.com`, plan: 'pro', $set_once: { first_run: run } },
})
client.alias({ distinctId: user, alias: `alias-${run}` })
client.groupIdentify({ groupType: 'company', groupKey: `acme-${run}`, properties: { name: 'Acme' }, distinctId: user })

try {
  await client.shutdown()
} catch (error) {
  errors.push(describe(error))
}
finish({ sent, requests: [], errors })
