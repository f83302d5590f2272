// @ts-check
/** Small figures: client size, Vite start time with and without the plugin, idle memory of the standalone server. */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { createProject, css, html, loadFrom, ROOT } from './fixtures.mjs'
import { summarize } from './stats.mjs'

/** Sizes of one built file: minified as built, then gzip (zlib level 9) and brotli (quality 11) of that. */
async function fileSize(file) {
  const bytes = await readFile(path.join(ROOT, file))
  return {
    file,
    minified: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }
}

/**
 * The classic script every page loads; in `extras` the script a page loads only when it needs it, in `debug` the
 * build served instead of the first for `debug: true`.
 */
export async function clientSize() {
  return {
    ...await fileSize('packages/client/dist/classic.js'),
    extras: await fileSize('packages/client/dist/client-extras.js'),
    debug: await fileSize('packages/client/dist/classic-debug.js'),
  }
}

/**
 * `createServer()` + `listen()` + the first `index.html` response, alternating with and without the plugin so load
 * from elsewhere on the machine falls on both alike. The first run of each is a warm-up (module loading).
 */
export async function viteStart({ runs = 8 } = {}) {
  const project = await createProject('vite-start', 'vite', {
    'package.json': '{ "type": "module", "private": true }',
    'index.html': html({ head: '<link rel="stylesheet" href="/style.css">' }),
    'public/style.css': css(0),
  })
  try {
    const { createServer } = await loadFrom(project.dir, 'vite')
    const { default: liveAssets } = await loadFrom(project.dir, 'unplugin-live-assets/vite')
    const times = { without: [], with: [] }
    for (let i = 0; i < runs + 1; i++) {
      for (const variant of i % 2 ? ['with', 'without'] : ['without', 'with']) {
        const startedAt = performance.now()
        const server = await createServer({
          root: project.dir,
          configFile: false,
          cacheDir: path.join(project.dir, '.vite'),
          logLevel: 'silent',
          plugins: variant === 'with' ? [liveAssets()] : [],
          server: { host: '127.0.0.1', port: 0 },
        })
        await server.listen()
        const { port } = server.httpServer.address()
        const response = await fetch(`http://127.0.0.1:${port}/`)
        await response.text()
        const elapsed = performance.now() - startedAt
        await server.close()
        if (i > 0)
          times[variant].push(elapsed)
      }
    }
    return { without: summarize(times.without), with: summarize(times.with) }
  }
  finally {
    await project.remove()
  }
}

/** RSS and heap (after gc) of a process running only `createLiveServer()`, beside one running a bare node:http server. */
export async function idleMemory() {
  const probe = async (kind) => {
    const code = `
      const { createServer } = await import('node:http')
      const { createLiveServer, silentLogger } = await import('@live-assets/core')
      if (${JSON.stringify(kind)} === 'live-assets') await createLiveServer({ port: 0, logger: silentLogger })
      else await new Promise(resolve => createServer().listen(0, '127.0.0.1', resolve))
      await new Promise(resolve => setTimeout(resolve, 1000))
      for (let i = 0; i < 3; i++) globalThis.gc()
      const { rss, heapUsed } = process.memoryUsage()
      console.log(JSON.stringify({ rss, heapUsed }))
      process.exit(0)
    `
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { cwd: path.join(ROOT, 'test'), stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk
    })
    await new Promise(resolve => child.once('exit', resolve))
    return JSON.parse(out)
  }
  const samples = { 'live-assets': [], 'node:http': [] }
  for (let i = 0; i < 3; i++) {
    for (const kind of ['node:http', 'live-assets'])
      samples[kind].push(await probe(kind))
  }
  const median = (list, key) => summarize(list.map(s => s[key])).median
  return {
    liveAssets: { rss: median(samples['live-assets'], 'rss'), heapUsed: median(samples['live-assets'], 'heapUsed') },
    bare: { rss: median(samples['node:http'], 'rss'), heapUsed: median(samples['node:http'], 'heapUsed') },
  }
}
