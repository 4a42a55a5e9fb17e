// Two builds of src/index.ts: ESM for bundlers, and an IIFE for a <script> tag (window.clickpath).
import { build } from 'esbuild'

const common = { entryPoints: ['src/index.ts'], bundle: true, minify: true, target: 'es2020', logLevel: 'warning' }
await build({ ...common, format: 'esm', outfile: 'dist/clickpath.mjs', sourcemap: true })
await build({ ...common, format: 'iife', globalName: 'clickpath', outfile: 'dist/clickpath.iife.js' })
