// @ts-check
/**
 * The systems of the latency benchmark. Each `start()` creates its own project, starts its dev server (or watcher
 * and page server) on 127.0.0.1, port 0, and returns the page URL, the stylesheet to edit and `stop()`.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'
import { createProject, css, freePort, html, loadFrom, ROOT, serveStatic, versionFrom } from './fixtures.mjs'

const CLI_BIN = path.join(ROOT, 'packages/cli/dist/cli.mjs')
/** The LiveReload peers are devDependencies of test/, not of the playgrounds. */
const fromTest = createRequire(path.join(ROOT, 'test/package.json'))

/** @typedef {{ url: string, file: string, stop: () => Promise<void>, versions: Record<string, string> }} Running */
/** @typedef {{ name: string, label: string, ours: boolean, diagnostic?: boolean, start: () => Promise<Running> }} System */

async function vite(name, { plugin }) {
  const sheet = plugin ? 'public/style.css' : 'src/style.css'
  const href = plugin ? '/style.css' : '/src/style.css'
  const project = await createProject(name, 'vite', {
    'package.json': '{ "type": "module", "private": true }',
    'index.html': html({ head: `<link rel="stylesheet" href="${href}">` }),
    [sheet]: css(0),
  })
  const { createServer } = await loadFrom(project.dir, 'vite')
  const plugins = []
  if (plugin) {
    const { default: liveAssets } = await loadFrom(project.dir, 'unplugin-live-assets/vite')
    plugins.push(liveAssets())
  }
  const server = await createServer({
    root: project.dir,
    configFile: false,
    cacheDir: path.join(project.dir, '.vite'),
    logLevel: 'warn',
    plugins,
    server: { host: '127.0.0.1', port: 0 },
  })
  await server.listen()
  const { port } = server.httpServer.address()
  return {
    url: `http://127.0.0.1:${port}/`,
    file: path.join(project.dir, sheet),
    versions: { vite: versionFrom(project.dir, 'vite') },
    async stop() {
      await server.close()
      await project.remove()
    },
  }
}

/** webpack-dev-server and @rspack/dev-server, started as their CLIs start them. */
async function webpackLike(name, { rspack, plugin, nativeCss = false }) {
  const project = await createProject(name, rspack ? 'rspack' : 'webpack', {
    'package.json': '{ "private": true }',
    'src/index.html': html(),
    'src/main.js': 'document.documentElement.dataset.app = "1"\n',
    'src/style.css': css(0),
  })
  const dir = project.dir
  let compile, DevServer, HtmlPlugin, rule, extract
  const versions = {}
  if (rspack) {
    const core = await loadFrom(dir, '@rspack/core')
    compile = core.rspack
    DevServer = (await loadFrom(dir, '@rspack/dev-server')).RspackDevServer
    HtmlPlugin = core.rspack.HtmlRspackPlugin
    rule = nativeCss
      ? { test: /\.css$/, type: 'css/auto' }
      : { test: /\.css$/, use: [core.rspack.CssExtractRspackPlugin.loader, 'css-loader'], type: 'javascript/auto' }
    extract = nativeCss ? [] : [new core.rspack.CssExtractRspackPlugin({ filename: '[name].css' })]
    versions['@rspack/core'] = versionFrom(dir, '@rspack/core')
    versions['@rspack/dev-server'] = versionFrom(dir, '@rspack/dev-server')
  }
  else {
    compile = (await loadFrom(dir, 'webpack')).default
    DevServer = (await loadFrom(dir, 'webpack-dev-server')).default
    HtmlPlugin = (await loadFrom(dir, 'html-webpack-plugin')).default
    const { default: MiniCssExtractPlugin } = await loadFrom(dir, 'mini-css-extract-plugin')
    rule = { test: /\.css$/, use: [MiniCssExtractPlugin.loader, 'css-loader'] }
    extract = [new MiniCssExtractPlugin({ filename: '[name].css' })]
    versions.webpack = versionFrom(dir, 'webpack')
    versions['webpack-dev-server'] = versionFrom(dir, 'webpack-dev-server')
    versions['mini-css-extract-plugin'] = versionFrom(dir, 'mini-css-extract-plugin')
  }
  const plugins = [new HtmlPlugin({ template: './src/index.html' }), ...extract]
  if (plugin) {
    const { default: liveAssets } = await loadFrom(dir, `unplugin-live-assets/${rspack ? 'rspack' : 'webpack'}`)
    plugins.push(liveAssets())
  }
  const compiler = compile({
    mode: 'development',
    context: dir,
    entry: { app: ['./src/main.js', './src/style.css'] },
    output: { path: path.join(dir, 'dist'), clean: true },
    module: { rules: [rule] },
    plugins,
    stats: 'none',
    infrastructureLogging: { level: 'error' },
    // The documented setups: live-assets swaps bundled sheets with HMR and live reload off; the peers use HMR.
    devServer: plugin ? { hot: false, liveReload: false, client: { overlay: false } } : { hot: true, client: { overlay: false } },
  })
  const rebuilds = timeRebuilds(compiler)
  const server = new DevServer({ ...compiler.options.devServer, host: '127.0.0.1', port: 0, setupExitSignals: false }, compiler)
  await server.start()
  const { port } = server.server.address()
  return {
    url: `http://127.0.0.1:${port}/`,
    file: path.join(dir, 'src/style.css'),
    versions,
    rebuilds,
    async stop() {
      await server.stop()
      await new Promise(resolve => compiler.close(resolve))
      await project.remove()
    },
  }
}

/** Rebuild durations (invalid -> done) of a webpack-like compiler: the part of every latency that no swap can avoid. */
function timeRebuilds(compiler) {
  const rebuilds = []
  let invalidAt
  compiler.hooks.invalid.tap('bench', () => {
    invalidAt = performance.now()
  })
  compiler.hooks.done.tap('bench', () => {
    if (invalidAt !== undefined)
      rebuilds.push(performance.now() - invalidAt)
    invalidAt = undefined
  })
  return rebuilds
}

/**
 * Rsbuild's dev server through its Node API, as `rsbuild dev` starts it. With `plugin`, live-assets as
 * playground/rsbuild/rsbuild.config.ts uses it (`dev.hmr` and `dev.liveReload` off); without, Rsbuild's defaults:
 * its CSS HMR.
 */
async function rsbuild(name, { plugin }) {
  const project = await createProject(name, 'rsbuild', {
    'package.json': '{ "type": "module", "private": true }',
    'src/index.html': html(),
    'src/index.js': 'import \'./style.css\'\n\ndocument.documentElement.dataset.app = \'1\'\n',
    'src/style.css': css(0),
  })
  const { createRsbuild } = await loadFrom(project.dir, '@rsbuild/core')
  let rebuilds = []
  const plugins = [{
    name: 'bench:rebuilds',
    setup(api) {
      api.onAfterCreateCompiler(({ compiler }) => {
        rebuilds = timeRebuilds(compiler)
      })
    },
  }]
  if (plugin) {
    const { default: liveAssets } = await loadFrom(project.dir, 'unplugin-live-assets/rsbuild')
    plugins.push(liveAssets())
  }
  const instance = await createRsbuild({
    cwd: project.dir,
    config: {
      mode: 'development',
      logLevel: 'warn',
      plugins,
      source: { entry: { index: './src/index.js' } },
      html: { template: './src/index.html' },
      dev: plugin ? { hmr: false, liveReload: false } : {},
      server: { host: '127.0.0.1', port: 0, printUrls: false },
    },
  })
  const { server, port } = await instance.startDevServer()
  return {
    url: `http://127.0.0.1:${port}/`,
    file: path.join(project.dir, 'src/style.css'),
    versions: { '@rsbuild/core': versionFrom(project.dir, '@rsbuild/core') },
    rebuilds,
    async stop() {
      await server.close()
      await project.remove()
    },
  }
}

/** The `live-assets` CLI beside the backend playground's page server, as `pnpm play:backend` runs them. */
async function backend(extraArgs = []) {
  const project = await createProject('backend', null, {
    'views/layout.html': html({ head: '<link rel="stylesheet" href="/assets/style.css">', body: '{{ live_assets_tag }}' }),
    'assets/style.css': css(0),
  })
  const { startApp } = await import(path.join(ROOT, 'playground/backend/app.js'))
  const app = await startApp({ dir: project.dir, port: 0 })
  const child = spawn(process.execPath, [CLI_BIN, '--watch', 'assets/**/*.css', '--url-base', '/assets', '--origin', app.url, '--port', '0', ...extraArgs], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const tag = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CLI printed no script tag within 20 s:\n${output}`)), 20_000)
    const onData = (chunk) => {
      output += chunk
      const match = /<script src="[^"]+"><\/script>/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[0])
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.once('exit', code => reject(new Error(`the CLI exited with ${code}:\n${output}`)))
  })
  app.setLiveAssetsTag(tag)
  return {
    url: `${app.url}/`,
    file: path.join(project.dir, 'assets/style.css'),
    versions: {},
    async stop() {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      await app.close()
      await project.remove()
    },
  }
}

/**
 * `node <script> <args>` in `dir`, as a package script runs a bundler's bin: resolves once `ready` was printed,
 * collects the durations `rebuild` reports (one capture group, ms) and stops with SIGTERM.
 */
async function spawnWatcher(dir, script, args, { env = {}, ready, rebuild }) {
  const child = spawn(process.execPath, [script, ...args], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const rebuilds = []
  let builds = 0
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print ${ready} within 60 s:\n${output}`)), 60_000)
    const onData = (chunk) => {
      output += chunk
      for (const match of chunk.matchAll(new RegExp(rebuild.source, 'g'))) {
        // The first build is the start-up, not a rebuild.
        if (builds++ > 0)
          rebuilds.push(Number(match[1]))
      }
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve(undefined)
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.once('exit', code => reject(new Error(`${script} exited with ${code}:\n${output}`)))
  })
  return {
    rebuilds,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null)
        return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * `rollup -c -w` on a copy of playground/rollup's setup (its `cssAssets()` and `htmlPage()` plugins), the page from a
 * static server of `dist/`. With `plugin`, live-assets as playground/rollup/rollup.config.mjs uses it; without,
 * rollup-plugin-livereload as its README documents it for CSS output: `livereload({ watch: 'dist' })`.
 */
async function rollupWatch(name, { plugin }) {
  const livereloadPort = plugin ? 0 : await freePort()
  const config = plugin
    ? `import liveAssets from 'unplugin-live-assets/rollup'
import { cssAssets, htmlPage } from './css-assets.mjs'

export default {
  input: 'src/main.js',
  output: { dir: 'dist', format: 'esm', assetFileNames: '[name][extname]' },
  plugins: [cssAssets(), htmlPage('src/index.html'), liveAssets({ port: 0, allowedOrigins: [process.env.PAGE_ORIGIN], reload: ['**/*.html'] })],
  watch: { clearScreen: false },
}
`
    : `import livereload from ${JSON.stringify(pathToFileURL(fromTest.resolve('rollup-plugin-livereload')).href)}
import { cssAssets, htmlPage } from './css-assets.mjs'

export default {
  input: 'src/main.js',
  output: { dir: 'dist', format: 'esm', assetFileNames: '[name][extname]' },
  plugins: [cssAssets(), htmlPage('src/index.html'), livereload({ watch: 'dist', verbose: false, port: ${livereloadPort} })],
  watch: { clearScreen: false },
}
`
  const project = await createProject(name, 'rollup', {
    'package.json': '{ "type": "module", "private": true }',
    'css-assets.mjs': await readFile(path.join(ROOT, 'playground/rollup/css-assets.mjs'), 'utf8'),
    'rollup.config.mjs': `import process from 'node:process'\n${config}`,
    'src/index.html': html({ head: '<link rel="stylesheet" href="/style.css">\n<script type="module" src="/main.js"></script>' }),
    'src/main.js': 'import \'./style.css\'\n\ndocument.documentElement.dataset.app = \'1\'\n',
    'src/style.css': css(0),
  })
  const page = await serveStatic(path.join(project.dir, 'dist'))
  // Rollup prints "created dist in 23ms" after every build, its own measure of the rebuild.
  const watcher = await spawnWatcher(project.dir, 'node_modules/rollup/dist/bin/rollup', ['-c', '-w'], {
    env: { PAGE_ORIGIN: page.url },
    ready: plugin ? /live server at[\s\S]*waiting for changes|waiting for changes[\s\S]*live server at/ : /waiting for changes/,
    rebuild: /created dist in (\d+(?:\.\d+)?)ms/,
  }).catch(async (error) => {
    await page.close()
    throw error
  })
  const versions = { rollup: versionFrom(project.dir, 'rollup') }
  if (!plugin) {
    versions['rollup-plugin-livereload'] = versionFrom(path.join(ROOT, 'test'), 'rollup-plugin-livereload')
    versions.livereload = versionFrom(path.join(ROOT, 'test'), 'livereload')
  }
  return {
    url: `${page.url}/`,
    file: path.join(project.dir, 'src/style.css'),
    versions,
    rebuilds: watcher.rebuilds,
    async stop() {
      await watcher.stop()
      await page.close()
      await project.remove()
    },
  }
}

/**
 * LiveReload's stylesheet swap alone, no bundler: a `livereload` server watching the page's folder, the page from a
 * static server with the LiveReload snippet. The edited file is the served one, so every change is a `.css` reload
 * that livereload.js applies in place. With Rollup's rebuild added, the bound for Rollup + live-assets.
 */
async function livereloadSwap(name) {
  const port = await freePort()
  const project = await createProject(name, null, {
    'site/index.html': html({ head: '<link rel="stylesheet" href="/style.css">', body: `<script src="http://127.0.0.1:${port}/livereload.js?snipver=1"></script>` }),
    'site/style.css': css(0),
  })
  const { default: livereload } = await import(pathToFileURL(fromTest.resolve('livereload')).href)
  const server = livereload.createServer({ port })
  server.watch(path.join(project.dir, 'site'))
  const page = await serveStatic(path.join(project.dir, 'site'))
  return {
    url: `${page.url}/`,
    file: path.join(project.dir, 'site/style.css'),
    versions: {},
    async stop() {
      server.close()
      await page.close()
      await project.remove()
    },
  }
}

/**
 * esbuild `context()` + `watch()`. With `plugin`, live-assets as playground/esbuild/dev.mjs uses it, the page from a
 * static server of `dist/` (as test/watch-mode does: the loader goes into the written main.js). Without, esbuild's own
 * `serve()` and the live reload snippet its documentation gives, which reloads the page on every `change` event.
 */
async function esbuildWatch(name, { plugin }) {
  const servePort = plugin ? 0 : await freePort()
  const snippet = '<script>new EventSource(\'/esbuild\').addEventListener(\'change\', () => location.reload())</script>'
  const project = await createProject(name, 'esbuild', {
    'package.json': '{ "type": "module", "private": true }',
    'dev.mjs': `import { copyFile, mkdir } from 'node:fs/promises'
import process from 'node:process'
import * as esbuild from 'esbuild'
${plugin ? 'import liveAssets from \'unplugin-live-assets/esbuild\'\n' : ''}
let startedAt = 0
const page = {
  name: 'page',
  setup(build) {
    build.onStart(() => {
      startedAt = performance.now()
    })
    build.onEnd(async () => {
      await mkdir('dist', { recursive: true })
      await copyFile('public/index.html', 'dist/index.html')
      console.log(\`[esbuild] build done in \${(performance.now() - startedAt).toFixed(1)}ms\`)
    })
  },
}
const context = await esbuild.context({
  entryPoints: ['src/main.js', 'src/style.css'],
  bundle: true,
  outdir: 'dist',
  logLevel: 'warning',
  plugins: [${plugin ? 'liveAssets({ port: 0, allowedOrigins: [process.env.PAGE_ORIGIN] }), ' : ''}page],
})
await context.watch()
${plugin
  ? ''
  : `await context.serve({ servedir: 'dist', host: '127.0.0.1', port: ${servePort} })
console.log('serving')
`}`,
    'public/index.html': html({ head: `<link rel="stylesheet" href="/style.css">\n<script src="/main.js" defer></script>${plugin ? '' : `\n${snippet}`}` }),
    'src/main.js': 'document.documentElement.dataset.app = \'1\'\n',
    'src/style.css': css(0),
  })
  const page = plugin ? await serveStatic(path.join(project.dir, 'dist')) : { url: `http://127.0.0.1:${servePort}`, close: async () => {} }
  const watcher = await spawnWatcher(project.dir, 'dev.mjs', [], {
    env: { PAGE_ORIGIN: page.url },
    ready: plugin ? /live server at[\s\S]*build done|build done[\s\S]*live server at/ : /serving/,
    rebuild: /build done in (\d+(?:\.\d+)?)ms/,
  }).catch(async (error) => {
    await page.close()
    throw error
  })
  return {
    url: `${page.url}/`,
    file: path.join(project.dir, 'src/style.css'),
    versions: { esbuild: versionFrom(project.dir, 'esbuild') },
    rebuilds: watcher.rebuilds,
    async stop() {
      await watcher.stop()
      await page.close()
      await project.remove()
    },
  }
}

/** @type {Record<string, System>} */
export const SYSTEMS = {
  'vite': { name: 'vite', label: 'Vite + live-assets (public CSS)', ours: true, start: () => vite('vite', { plugin: true }) },
  'vite-native': { name: 'vite-native', label: 'Vite CSS HMR (linked /src sheet)', ours: false, start: () => vite('vite-native', { plugin: false }) },
  'backend': { name: 'backend', label: 'backend page + live-assets CLI', ours: true, start: () => backend() },
  'webpack': { name: 'webpack', label: 'webpack-dev-server + live-assets', ours: true, start: () => webpackLike('webpack', { rspack: false, plugin: true }) },
  'webpack-hmr': { name: 'webpack-hmr', label: 'webpack-dev-server + mini-css-extract HMR', ours: false, start: () => webpackLike('webpack-hmr', { rspack: false, plugin: false }) },
  'rspack': { name: 'rspack', label: 'Rspack dev server + live-assets', ours: true, start: () => webpackLike('rspack', { rspack: true, plugin: true }) },
  'rspack-native': { name: 'rspack-native', label: 'Rspack native CSS HMR', ours: false, start: () => webpackLike('rspack-native', { rspack: true, plugin: false, nativeCss: true }) },
  'rsbuild': { name: 'rsbuild', label: 'Rsbuild dev server + live-assets', ours: true, start: () => rsbuild('rsbuild', { plugin: true }) },
  'rsbuild-native': { name: 'rsbuild-native', label: 'Rsbuild CSS HMR', ours: false, start: () => rsbuild('rsbuild-native', { plugin: false }) },
  'rollup': { name: 'rollup', label: 'Rollup watch + live-assets', ours: true, start: () => rollupWatch('rollup', { plugin: true }) },
  'rollup-livereload': { name: 'rollup-livereload', label: 'Rollup watch + rollup-plugin-livereload', ours: false, start: () => rollupWatch('rollup-livereload', { plugin: false }) },
  // Not a Rollup setup: LiveReload's in-place stylesheet swap on its own, half of the Rollup target's bound.
  'livereload-css': { name: 'livereload-css', label: 'reference: LiveReload CSS swap, no bundler', ours: false, diagnostic: true, start: () => livereloadSwap('livereload-css') },
  'esbuild': { name: 'esbuild', label: 'esbuild watch + live-assets', ours: true, start: () => esbuildWatch('esbuild', { plugin: true }) },
  'esbuild-serve': { name: 'esbuild-serve', label: 'esbuild serve() live reload', ours: false, start: () => esbuildWatch('esbuild-serve', { plugin: false }) },
}

/**
 * Systems measured together, their edits interleaved in random order so that load from other processes on the
 * machine falls on all of them alike; `peer` is what the others are compared with.
 */
export const GROUPS = [
  // Median and p95 at most the peer's, and the two are level within a millisecond until the frame: three times the
  // edits, so that which frame a restyle lands in (a swing of about 0.15x over 30 edits) decides less of the ratio.
  { name: 'Vite and backend', peer: 'vite-native', systems: ['vite', 'backend', 'vite-native'], target: 1.0, p95: true, editsTimes: 3 },
  { name: 'webpack', peer: 'webpack-hmr', systems: ['webpack', 'webpack-hmr'], target: 0.5 },
  { name: 'Rspack', peer: 'rspack-native', systems: ['rspack', 'rspack-native'], target: 0.5 },
  { name: 'Rsbuild', peer: 'rsbuild-native', systems: ['rsbuild', 'rsbuild-native'], target: 1.0 },
  // The target is a bound, not a ratio: LiveReload's swap (`swap`) plus Rollup's rebuild in the peer's setup (`rebuild`).
  { name: 'Rollup', peer: 'rollup-livereload', systems: ['rollup', 'rollup-livereload', 'livereload-css'], bound: { swap: 'livereload-css', rebuild: 'rollup-livereload' } },
  { name: 'esbuild', peer: 'esbuild-serve', systems: ['esbuild', 'esbuild-serve'], target: 1.0 },
]
