// @ts-check
/**
 * The systems of the latency benchmark. Each `start()` creates its own project, starts its dev server (or watcher
 * and page server) on 127.0.0.1, port 0, and returns the page URL, the stylesheet to edit and `stop()`.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import process from 'node:process'
import { createProject, css, html, loadFrom, ROOT, versionFrom } from './fixtures.mjs'

const CLI_BIN = path.join(ROOT, 'packages/cli/dist/cli.mjs')

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
  // Rebuild durations (invalid -> done): the part of every latency that no swap strategy can avoid.
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

/** The `live-assets` CLI beside the backend playground's page server, as `pnpm play:backend` runs them. */
async function backend(extraArgs = []) {
  const project = await createProject('backend', null, {
    'views/layout.html': html({ head: '<link rel="stylesheet" href="/assets/style.css">', body: '{{ live_assets_tag }}' }),
    'assets/style.css': css(0),
  })
  const { startApp } = await import(path.join(ROOT, 'playground/backend/app.js'))
  const app = await startApp({ dir: project.dir, port: 0 })
  const child = spawn(process.execPath, [CLI_BIN, '--watch', 'assets/**/*.css', '--base', '/assets', '--origin', app.url, '--port', '0', ...extraArgs], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] })
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

/** @type {Record<string, System>} */
export const SYSTEMS = {
  'vite': { name: 'vite', label: 'Vite + live-assets (public CSS)', ours: true, start: () => vite('vite', { plugin: true }) },
  'vite-native': { name: 'vite-native', label: 'Vite CSS HMR (linked /src sheet)', ours: false, start: () => vite('vite-native', { plugin: false }) },
  'backend': { name: 'backend', label: 'backend page + live-assets CLI', ours: true, start: () => backend() },
  // Not a shipped configuration: shows how much of the gap to Vite is the watcher's 20 ms debounce.
  'backend-d0': { name: 'backend-d0', label: 'diagnostic: CLI with --debounce 0', ours: true, diagnostic: true, start: () => backend(['--debounce', '0']) },
  'webpack': { name: 'webpack', label: 'webpack-dev-server + live-assets', ours: true, start: () => webpackLike('webpack', { rspack: false, plugin: true }) },
  'webpack-hmr': { name: 'webpack-hmr', label: 'webpack-dev-server + mini-css-extract HMR', ours: false, start: () => webpackLike('webpack-hmr', { rspack: false, plugin: false }) },
  'rspack': { name: 'rspack', label: 'Rspack dev server + live-assets', ours: true, start: () => webpackLike('rspack', { rspack: true, plugin: true }) },
  'rspack-native': { name: 'rspack-native', label: 'Rspack native CSS HMR', ours: false, start: () => webpackLike('rspack-native', { rspack: true, plugin: false, nativeCss: true }) },
}

/**
 * Systems measured together, their edits interleaved in random order so that load from other processes on the
 * machine falls on all of them alike; `peer` is what the others are compared with.
 */
export const GROUPS = [
  { name: 'Vite and backend', peer: 'vite-native', systems: ['vite', 'backend', 'backend-d0', 'vite-native'], target: 1.0 },
  { name: 'webpack', peer: 'webpack-hmr', systems: ['webpack', 'webpack-hmr'], target: 0.5 },
  { name: 'Rspack', peer: 'rspack-native', systems: ['rspack', 'rspack-native'], target: 0.5 },
]
