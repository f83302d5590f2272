// @ts-check
/**
 * One minimal project per system under test: a page with a `#probe` whose colour every edit changes and a
 * `#sentinel` rule that every version of the stylesheet keeps, so a frame without the sheet shows as a flash.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { createServer as createNetServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TMP = path.join(ROOT, 'test/.tmp')

/** The colour the sentinel rule always has; any other value in a frame means the sheet was missing. */
export const SENTINEL = 'rgb(1, 2, 3)'

/** The n-th probe colour: unique per edit of one system. */
export function probeColor(n) {
  return `rgb(${10 + (n % 200)}, ${(n * 37) % 256}, ${Math.floor(n / 200) + 100})`
}

export function css(n) {
  return `#sentinel {\n  color: ${SENTINEL};\n}\n\n#probe {\n  color: ${probeColor(n)};\n}\n`
}

export const BODY = '<div id="probe">probe</div>\n<div id="sentinel">sentinel</div>'

export function html({ head = '', body = '' } = {}) {
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>bench</title>\n${head}\n</head>\n<body>\n${BODY}\n${body}\n</body>\n</html>\n`
}

/**
 * A temp project under `test/.tmp/` with `files`, whose `node_modules` points at `playground/<playground>`'s, so it
 * resolves the same bundler instances and the workspace's built `unplugin-live-assets`.
 */
export async function createProject(name, playground, files) {
  await mkdir(TMP, { recursive: true })
  const dir = await mkdtemp(path.join(TMP, `bench-${name}-`))
  if (playground)
    await symlink(path.join(ROOT, 'playground', playground, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), content)
  }
  return {
    dir,
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  }
}

/**
 * Imports `id` as the project itself would resolve it. Other engineers rebuild `packages/*` on this machine while the
 * benchmark runs, which empties a `dist/` for a few seconds: a missing module is retried for up to a minute.
 */
export async function loadFrom(dir, id) {
  const require = createRequire(path.join(dir, 'package.json'))
  for (let attempt = 0; ; attempt++) {
    try {
      return await import(pathToFileURL(require.resolve(id)).href)
    }
    catch (error) {
      if (attempt >= 60 || !['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND'].includes(error.code))
        throw error
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }
}

/**
 * A TypeScript module of the e2e tests (`test/utils/*.ts`), loaded through Vite's module runner (`runnerImport()`,
 * what Vite loads its config files with): Vite is a devDependency of test/ already and vitest runs the same file
 * through the same runner, so the bench and the tests share one copy, with no build step.
 */
export async function importTestModule(file) {
  const fromTest = createRequire(path.join(ROOT, 'test/package.json'))
  const { runnerImport } = await import(pathToFileURL(fromTest.resolve('vite')).href)
  const { module } = await runnerImport(path.join(ROOT, file), { root: path.join(ROOT, 'test'), logLevel: 'error' })
  return module
}

/** Version of a package as the project resolves it. */
export function versionFrom(dir, id) {
  const require = createRequire(path.join(dir, 'package.json'))
  try {
    return require(`${id}/package.json`).version
  }
  catch {
    // Packages whose exports hide package.json: walk up from the entry.
    let current = path.dirname(require.resolve(id))
    for (;;) {
      try {
        const json = require(path.join(current, 'package.json'))
        if (json.name === id)
          return json.version
      }
      catch {}
      const parent = path.dirname(current)
      if (parent === current)
        return 'unknown'
      current = parent
    }
  }
}

const TYPES = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript' }

/**
 * A plain static server for `root` on 127.0.0.1, port 0, as the watch-mode playgrounds use beside their bundler:
 * every response read from disk, `Cache-Control: no-cache`.
 */
export async function serveStatic(root) {
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
      res.writeHead(404).end('not found')
    }
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise(resolve => server.close(resolve)),
  }
}

/** A port that was free a moment ago, for the tools that cannot listen on port 0 and tell (LiveReload, esbuild serve()). */
export async function freePort() {
  const server = createNetServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}
