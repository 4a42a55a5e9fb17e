// sdks/contract: every call produces the payload the contract describes (the Python SDK checks the same files).
import { beforeEach, describe, expect, it } from 'vitest'

import calls from '../../contract/calls.json'
import envelope from '../../contract/envelope.json'
import { fakeCapture, HOST, KEY, load, type Sdk } from './helpers'

type Call = { method: string } & Record<string, any>
const cases = calls.filter((c) => c.sdks.includes('web'))

/** A contract call as this SDK spells it: the user is whoever the SDK's storage says. */
function run(sdk: Sdk, call: Call) {
  if (call.method == 'capture') sdk.capture(call.event, call.properties)
  else if (call.method == 'register') sdk.register(call.properties)
  else if (call.method == 'identify') sdk.identify(call.distinct_id, call.set, call.set_once)
  else if (call.method == 'alias') sdk.alias(call.alias)
  else if (call.method == 'page') {
    history.pushState({}, '', call.url)
    sdk.page(call.properties)
  } else throw new Error(`contract call ${call.method} unknown to the web SDK`)
}

describe('contract', () => {
  beforeEach(() => localStorage.clear())

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const state = c.state as { distinct_id?: string; anonymous_id?: string }
    localStorage.setItem('cp_' + KEY, JSON.stringify({ d: state.distinct_id ?? state.anonymous_id }))
    const capture = fakeCapture()
    const sdk = await load()
    sdk.init(KEY, { host: HOST, pageviews: false, flushInterval: 60000 })
    for (const call of c.calls as Call[]) run(sdk, call)
    await sdk.flush()

    expect(capture.sent.map((r) => new URL(r.url).pathname)).toEqual([envelope.route])
    const body = capture.sent[0]!.body
    expect(Object.keys(body).sort()).toEqual([...envelope.body_keys].sort())
    expect(body.api_key).toBe(KEY)
    expect(body.sent_at).toMatch(new RegExp(envelope.formats.timestamp))
    const event = body.batch.at(-1)! as unknown as Record<string, any>
    expect(Object.keys(event).sort()).toEqual([...envelope.event_keys].sort())
    for (const [key, pattern] of Object.entries(envelope.formats)) expect(event[key]).toMatch(new RegExp(pattern))
    expect([event.event, event.distinct_id]).toEqual([c.expect.event, c.expect.distinct_id])
    expect(event.properties).toMatchObject(c.expect.properties)
    for (const key of [...(c.expect.present ?? []), ...envelope.library_properties]) expect(event.properties).toHaveProperty([key])
  })
})
