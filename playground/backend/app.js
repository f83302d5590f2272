// @ts-check
/**
 * The page server: here a few lines of node:http, in real life Rails, Django, Laravel or Express. It knows nothing
 * about live-assets except the `<script>` tag that the CLI printed, which its layout includes in development.
 */
import { Buffer } from 'node:buffer'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiled, replaceAsync, undigested } from './pipeline.js'

/** @type {Record<string, string>} */
const TYPES = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/**
 * @typedef {object} App
 * @property {string} url e.g. `http://127.0.0.1:3000`
 * @property {(tag: string) => void} setLiveAssetsTag what the layout renders at `{{ live_assets_tag }}`
 * @property {string[]} requests every path requested, in order
 * @property {() => Promise<void>} close stops the server and ends open connections
 */

/** @typedef {import('./pipeline.js').Fingerprint} Fingerprint how the asset pipeline names stylesheets */

/**
 * @param {{ dir?: string, port?: number, host?: string, fingerprint?: Fingerprint }} [options] `dir` holds `views/` and
 *   `assets/`; without `fingerprint`, stylesheets are served under their own names
 * @returns {Promise<App>} the running page server
 */
export async function startApp({ dir = path.dirname(fileURLToPath(import.meta.url)), port = 0, host = '127.0.0.1', fingerprint } = {}) {
  const assets = path.join(dir, 'assets')
  let liveAssetsTag = ''
  /** @type {string[]} */
  const requests = []

  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://app.invalid')
    requests.push(pathname)
    try {
      if (pathname === '/') {
        // Read on every request, like a template in development: editing it shows on the next load.
        let layout = await readFile(path.join(dir, 'views', 'layout.html'), 'utf8')
        if (fingerprint)
          layout = await replaceAsync(layout, /href="\/assets\/([^"]+\.css)"/g, async (_, name) => `href="/assets/${(await compiled(assets, name, fingerprint)).name}"`)
        return send(res, 200, 'text/html; charset=utf-8', layout.replace('{{ live_assets_tag }}', () => liveAssetsTag), 'no-store')
      }
      if (pathname.startsWith('/assets/')) {
        const requested = decodeURIComponent(pathname.slice('/assets/'.length))
        const name = fingerprint && fingerprint !== 'query' ? undigested(requested) : requested
        const file = path.join(assets, name)
        if (!file.startsWith(assets + path.sep))
          return send(res, 403, 'text/plain', 'forbidden')
        const type = TYPES[path.extname(file)] ?? 'application/octet-stream'
        if (fingerprint && file.endsWith('.css')) {
          const asset = await compiled(assets, name, fingerprint)
          // An old digest is gone, as in Propshaft's development server; `?v=` versions are not checked.
          if (fingerprint !== 'query' && requested !== asset.name)
            return send(res, 404, 'text/plain', `not found: ${requested} is now ${asset.name}`)
          return send(res, 200, type, asset.content, 'max-age=3600')
        }
        // Cacheable, as many asset servers make stylesheets: a fresh copy must come from the client's cache-busting.
        return send(res, 200, type, await readFile(file), 'max-age=3600')
      }
      send(res, 404, 'text/plain', 'not found')
    }
    catch (error) {
      const missing = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT'
      send(res, missing ? 404 : 500, 'text/plain', missing ? 'not found' : String(error))
    }
  })

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(undefined))
  })
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())

  return {
    url: `http://${host}:${address.port}`,
    setLiveAssetsTag: (tag) => { liveAssetsTag = tag },
    requests,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} type
 * @param {string | Buffer} body
 * @param {string} [cache]
 */
function send(res, status, type, body, cache = 'no-store') {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': cache })
  res.end(body)
}
