// The capture stress mix of tests/stress/capture_locustfile.py for people who use k6 (https://k6.io).
// Not run by Clickpath's own CI or `make stress-capture` (k6 is not installed here); kept equivalent by hand.
//
//   k6 run -e HOST=http://127.0.0.1:8000 -e KEY=phc_… -e RATE=200 -e SECONDS=60 tests/stress/k6/capture.js
//
// KEY is the demo project's write key (.clickpath/demo.json, "project_api_key"). The rate is bounded with a
// constant-arrival-rate scenario: RATE requests a second, whatever the latency, up to MAX_VUS at once.
import http from 'k6/http';
import encoding from 'k6/encoding';
import { check } from 'k6';

const HOST = __ENV.HOST || 'http://127.0.0.1:8000';
const KEY = __ENV.KEY;
const BATCH = Number(__ENV.BATCH || 50);
const RUN = `k6-${Date.now()}`;

export const options = {
  scenarios: {
    capture: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 200),
      timeUnit: '1s',
      duration: `${__ENV.SECONDS || 60}s`,
      preAllocatedVUs: 20,
      maxVUs: Number(__ENV.MAX_VUS || 100),
    },
  },
  thresholds: { http_req_failed: ['rate==0'] },
};

const PATHS = ['/', '/products/ridge-2p-tent', '/cart', '/checkout', '/search?q=rain+jacket'];

function event(n) {
  const user = `k6-user-${n % 500}`;
  return {
    event: n % 10 === 0 ? 'purchase' : '$pageview',
    distinct_id: user,
    uuid: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    properties: { $current_url: `https://shop.clickpath.dev${PATHS[n % PATHS.length]}`, $stress_run: RUN, amount: n % 90 },
  };
}

function batch(count) {
  return Array.from({ length: count }, (_, i) => event(__ITER * BATCH + i));
}

function segment(e) {
  return { type: 'track', event: e.event, anonymousId: e.distinct_id, properties: e.properties, timestamp: e.timestamp, messageId: e.uuid };
}

const json = { headers: { 'Content-Type': 'application/json' } };
const routes = [
  // [weight, name, request]
  [4, 'posthog-js /e/', () => http.post(`${HOST}/e/`, JSON.stringify(batch(BATCH).map((e) => ({ ...e, properties: { ...e.properties, token: KEY } }))), json)],
  [2, 'posthog /batch/', () => http.post(`${HOST}/batch/`, JSON.stringify({ api_key: KEY, batch: batch(BATCH) }), json)],
  [2, 'native /capture single', () => http.post(`${HOST}/capture`, JSON.stringify({ api_key: KEY, ...event(__ITER) }), json)],
  [1, 'native /capture batch', () => http.post(`${HOST}/capture`, JSON.stringify({ api_key: KEY, batch: batch(BATCH) }), json)],
  [1, 'segment /v1/batch', () => http.post(`${HOST}/v1/batch`, JSON.stringify({ batch: batch(BATCH).map(segment) }), {
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${encoding.b64encode(`${KEY}:`)}` },
  })],
  [1, 'segment /v1/track', () => http.post(`${HOST}/v1/track`, JSON.stringify({ ...segment(event(__ITER)), writeKey: KEY }), json)],
];
const total = routes.reduce((sum, [weight]) => sum + weight, 0);

export default function () {
  let pick = Math.random() * total;
  for (const [weight, name, send] of routes) {
    pick -= weight;
    if (pick < 0) {
      check(send(), { [`${name}: 200`]: (r) => r.status === 200 });
      return;
    }
  }
}
