// `npm run size`: the script-tag bundle, gzipped, must stay under the limit (issue 8); exits 1 over it.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const LIMIT = 3 * 1024
const file = 'dist/clickpath.iife.js'
const raw = readFileSync(file)
const gzipped = gzipSync(raw, { level: 9 }).length
console.log(`${file}: ${raw.length} B, ${gzipped} B gzipped (limit ${LIMIT} B)`)
if (gzipped > LIMIT) {
  console.error(`over the limit by ${gzipped - LIMIT} B`)
  process.exit(1)
}
