// `npm run dev` serves the app with hot reload on 5173 and proxies /api to the local stack's API (so no CORS),
// answering /config.json itself; `npm run build` writes dist/, which the stack serves on port 3000.
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const offset = Number(process.env.CLICKPATH_PORT_OFFSET ?? 0)
const api = process.env.CLICKPATH_API_URL ?? `http://127.0.0.1:${8001 + offset}`

/** In development the API is reached through the dev server's proxy: same origin. */
const devConfig: Plugin = {
  name: 'clickpath-dev-config',
  configureServer(server) {
    server.middlewares.use('/config.json', (_request, response) => {
      response.setHeader('Content-Type', 'application/json')
      response.end(JSON.stringify({ api_url: '' }))
    })
  },
}

export default defineConfig({
  plugins: [react(), devConfig],
  server: { port: 5173, proxy: { '/api': api } },
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 600 },
})
