// The query stress mix of tests/stress/query_locustfile.py for people who use k6 (https://k6.io).
// Not run by Clickpath's own CI or `make stress-query` (k6 is not installed here); kept equivalent by hand.
//
//   k6 run -e HOST=http://127.0.0.1:8001 -e PROJECT=1 -e KEY=phx_… -e RATE=50 -e SECONDS=60 tests/stress/k6/query.js
//
// PROJECT and KEY are the demo project's id and the demo account's personal key (.clickpath/demo.json,
// "project_id" and "personal_api_key"). setup() makes a dashboard of the three questions, teardown() removes it.
import http from 'k6/http';
import { check } from 'k6';

const HOST = __ENV.HOST || 'http://127.0.0.1:8001';
const BASE = `${HOST}/api/projects/${__ENV.PROJECT || 1}`;
const HEADERS = { headers: { Authorization: `Bearer ${__ENV.KEY}`, 'Content-Type': 'application/json' } };
const REFRESH_EVERY = 4;

const QUERIES = {
  'trends count': { kind: 'trends', series: [{ event: '$pageview' }], date_from: '-30d' },
  'trends persons by browser': {
    kind: 'trends',
    series: [{ event: '$pageview', math: 'unique_persons' }],
    date_from: '-30d',
    breakdown: '$browser',
  },
  funnel: {
    kind: 'funnel',
    steps: [{ event: 'product_viewed' }, { event: 'add_to_cart' }, { event: 'purchase' }],
    window_seconds: 86400,
    date_from: '-30d',
  },
};
// the Locust task weights: 3 trends count, 2 persons, 2 funnel, 3 dashboard loads
const MIX = ['trends count', 'trends count', 'trends count', 'trends persons by browser', 'trends persons by browser',
  'funnel', 'funnel', 'dashboard', 'dashboard', 'dashboard'];

export const options = {
  scenarios: {
    query: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 50),
      timeUnit: '1s',
      duration: `${__ENV.SECONDS || 60}s`,
      preAllocatedVUs: 20,
      maxVUs: Number(__ENV.MAX_VUS || 100),
    },
  },
  thresholds: { http_req_failed: ['rate==0'] },
};

function created(response) {
  if (response.status !== 201) throw new Error(`${response.url}: HTTP ${response.status}: ${response.body}`);
  return response.json();
}

export function setup() {
  const insights = Object.entries(QUERIES).map(([name, query]) =>
    created(http.post(`${BASE}/insights`, JSON.stringify({ name: `stress: ${name}`, query }), HEADERS)));
  const dashboard = created(http.post(`${BASE}/dashboards`, JSON.stringify({ name: 'stress: dashboard' }), HEADERS));
  for (const insight of insights) {
    created(http.post(`${BASE}/dashboards/${dashboard.id}/tiles`, JSON.stringify({ insight_id: insight.id }), HEADERS));
  }
  return { dashboard: dashboard.id, insights: insights.map((insight) => insight.id) };
}

export default function (made) {
  const name = MIX[Math.floor(Math.random() * MIX.length)];
  if (name === 'dashboard') {
    const response = http.get(`${BASE}/dashboards/${made.dashboard}/results`, { ...HEADERS, tags: { name: 'dashboard load' } });
    check(response, { 'dashboard: 200, no tile failed': (r) => r.status === 200 && r.json().tiles.every((t) => !t.error) });
    return;
  }
  const refresh = Math.random() < 1 / REFRESH_EVERY;
  const label = `${name} (${refresh ? 'refresh' : 'cached'})`;
  const body = JSON.stringify({ ...QUERIES[name], refresh });
  check(http.post(`${BASE}/query`, body, { ...HEADERS, tags: { name: label } }), { [`${label}: 200`]: (r) => r.status === 200 });
}

export function teardown(made) {
  http.del(`${BASE}/dashboards/${made.dashboard}`, null, HEADERS);
  for (const id of made.insights) http.del(`${BASE}/insights/${id}`, null, HEADERS);
}
