// Shared by the SDK scripts: how they are called, and how they report back to the Python test.
//
// Usage: node <script>.mjs HOST KEY RUN   (or COMPAT_HOST, COMPAT_KEY, COMPAT_RUN in the environment)
// Every script prints one JSON document on stdout, {"sent": [...], "requests": [...], "errors": [...]},
// and exits 1 when the SDK reported an error, so a failure is visible without reading the report.

export function args() {
  const [host, key, run] = [
    process.argv[2] ?? process.env.COMPAT_HOST,
    process.argv[3] ?? process.env.COMPAT_KEY,
    process.argv[4] ?? process.env.COMPAT_RUN,
  ]
  if (!host || !key || !run) {
    console.error('usage: node SCRIPT.mjs HOST KEY RUN')
    process.exit(2)
  }
  return { host, key, run }
}

export function describe(error) {
  if (error instanceof Error) return error.stack ?? String(error)
  return typeof error === 'string' ? error : JSON.stringify(error, (_, value) => (value instanceof Error ? String(value) : value))
}

export function finish(report) {
  process.stdout.write(JSON.stringify(report) + '\n')
  process.exitCode = report.errors.length ? 1 : 0
}
