// `pnpm dev`: a static server for dist/ on one port, `rollup -c -w` (with the live-assets server) beside it.
// `pnpm dev:rolldown`: the same with `rolldown -c rolldown.config.mjs -w`.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist')
const port = Number(process.env.PORT ?? 8080)
const bundler = process.argv[2] === 'rolldown' ? 'rolldown' : 'rollup'
/** @type {Record<string, string>} */
const TYPES = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript' }

const server = createServer(async (req, res) => {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  const file = path.join(root, pathname === '/' ? 'index.html' : pathname)
  if (!file.startsWith(root + path.sep))
    return void res.writeHead(403).end()
  try {
    const body = await readFile(file)
    res.writeHead(200, { 'Content-Type': `${TYPES[path.extname(file)] ?? 'application/octet-stream'}; charset=utf-8`, 'Cache-Control': 'no-cache' }).end(body)
  }
  catch {
    res.writeHead(404).end('not found: run the build first')
  }
})
server.listen(port, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`
  console.log(`\n  page: ${origin}/  (dist/, served by dev.mjs; the live server is ${bundler}'s)\n`)
  const watcher = spawn(bundler, ['-c', `${bundler}.config.mjs`, '-w'], { stdio: 'inherit', shell: process.platform === 'win32' })
  watcher.on('exit', code => process.exit(code ?? 0))
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
    process.on(signal, () => watcher.kill(signal))
})
