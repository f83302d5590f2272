import type { Plugin, RollupWatcher, RollupWatcherEvent } from 'rollup'
import type { Configuration, Stats } from 'webpack'
import type { Subscriber } from './subscriber'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import * as esbuild from 'esbuild'
import { rollup, watch } from 'rollup'
// The plugin as users get it, built (`pnpm build` first): in watch mode it reads built files of its own.
import liveAssetsEsbuild from 'unplugin-live-assets/esbuild'
import liveAssetsRollup from 'unplugin-live-assets/rollup'
import liveAssetsWebpack from 'unplugin-live-assets/webpack'
import { afterEach, describe, expect, it } from 'vitest'
import webpack from 'webpack'
import { liveOrigin, published, subscribe, until, useProjects } from './subscriber'

/**
 * The watch-mode path of the plugin, in process: real Rollup, esbuild and webpack build a temp project, the plugin
 * starts its standalone server on a free port of 127.0.0.1, and a subscriber reads that server's event stream.
 */

// No heartbeat during a test: every event counted is one the plugin published.
const OPTIONS = { port: 0, heartbeatMs: 600_000 }
const project = useProjects()
const subscribers: Subscriber[] = []
const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  subscribers.splice(0).forEach(s => s.close())
  for (const cleanup of cleanups.splice(0).reverse())
    await cleanup()
})

async function subscribeTo(code: string): Promise<{ origin: string, subscriber: Subscriber }> {
  const origin = liveOrigin(code)
  const subscriber = await subscribe(origin)
  subscribers.push(subscriber)
  return { origin, subscriber }
}

/** Listening servers of this process: a plain build must start none. */
const listening = (): number => process.getActiveResourcesInfo().filter(name => name === 'TCPServerWrap').length

/** A Rollup plugin that emits `app.css` from a source file, as a CSS plugin would. */
function cssAsset(file: string): Plugin {
  return {
    name: 'css-asset',
    buildStart() {
      this.addWatchFile(file)
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', name: 'app.css', source: await readFile(file, 'utf8') })
    },
  }
}

describe('rollup', () => {
  async function start(dir: string): Promise<{ watcher: RollupWatcher, builds: () => number }> {
    const watcher = watch({
      input: path.join(dir, 'main.js'),
      output: { dir: path.join(dir, 'dist'), assetFileNames: '[name][extname]' },
      plugins: [cssAsset(path.join(dir, 'app.css')), liveAssetsRollup(OPTIONS)],
    })
    cleanups.push(() => watcher.close())
    let ends = 0
    let error: unknown
    watcher.on('event', (event: RollupWatcherEvent) => {
      if (event.code === 'BUNDLE_END')
        void event.result.close()
      if (event.code === 'END')
        ends++
      if (event.code === 'ERROR')
        error = event.error
    })
    const builds = (): number => {
      if (error)
        throw error
      return ends
    }
    await until(() => builds() === 1, 'the first build')
    return { watcher, builds }
  }

  it('publishes one reloadCSS naming the rebuilt stylesheet, and nothing for a build that changed only JavaScript', async () => {
    const dir = await project({ 'main.js': 'console.log(1)\n', 'app.css': '.a { color: red }\n' })
    const { builds } = await start(dir)
    const { origin, subscriber } = await subscribeTo(await readFile(path.join(dir, 'dist/main.js'), 'utf8'))
    const before = await published(origin)

    await writeFile(path.join(dir, 'app.css'), '.a { color: blue }\n')
    await until(() => builds() === 2 && subscriber.events.length > 0, 'the rebuild and its event')
    expect(subscriber.events).toEqual([{ event: 'reloadCSS', data: { files: ['/app.css'] } }])
    expect(await published(origin)).toBe(before + 1)

    await writeFile(path.join(dir, 'main.js'), 'console.log(2)\n')
    await until(() => builds() === 3, 'the JavaScript-only rebuild')
    expect(await published(origin)).toBe(before + 1)
    expect(subscriber.events).toHaveLength(1)
  })

  it('a plain build adds no client and starts no server: its output is that of a build without the plugin', async () => {
    const dir = await project({ 'main.js': 'console.log(1)\n', 'app.css': '.a { color: red }\n' })
    const servers = listening()
    const build = async (plugins: Plugin[]): Promise<string[]> => {
      const bundle = await rollup({ input: path.join(dir, 'main.js'), plugins: [cssAsset(path.join(dir, 'app.css')), ...plugins] })
      const { output } = await bundle.generate({ assetFileNames: '[name][extname]' })
      await bundle.close()
      return output.map(item => `${item.fileName}\n${item.type === 'chunk' ? item.code : String(item.source)}`)
    }
    const withPlugin = await build([liveAssetsRollup(OPTIONS) as Plugin])
    expect(withPlugin).toEqual(await build([]))
    expect(withPlugin.join('\n')).not.toContain('live-assets')
    expect(listening()).toBe(servers)
  })
})

describe('esbuild', () => {
  async function context(dir: string, plugins: esbuild.Plugin[]): Promise<esbuild.BuildContext> {
    const ctx = await esbuild.context({ absWorkingDir: dir, entryPoints: ['main.js'], bundle: true, outdir: 'dist', logLevel: 'silent', plugins })
    cleanups.push(() => ctx.dispose())
    return ctx
  }

  it('shows a CSS syntax error of a rebuild as an error event, and the fix as clearError with the changed sheet', async () => {
    const dir = await project({ 'main.js': 'import "./app.css"\n', 'app.css': '.a { color: red }\n' })
    const ctx = await context(dir, [liveAssetsEsbuild(OPTIONS)])
    await ctx.rebuild()
    const { subscriber } = await subscribeTo(await readFile(path.join(dir, 'dist/main.js'), 'utf8'))

    await writeFile(path.join(dir, 'app.css'), '.a { color: red; }}\n')
    await ctx.rebuild()
    await until(() => subscriber.events.length > 0, 'the error event')
    expect(subscriber.events).toEqual([{ event: 'error', data: expect.objectContaining({ file: 'app.css', line: 1, source: 'esbuild' }) }])
    expect(subscriber.events[0].data.message).toContain('Unexpected "}"')

    await writeFile(path.join(dir, 'app.css'), '.a { color: blue }\n')
    await ctx.rebuild()
    await until(() => subscriber.events.length >= 3, 'clearError and reloadCSS')
    expect(subscriber.events.slice(1)).toEqual([{ event: 'clearError', data: {} }, { event: 'reloadCSS', data: { files: ['/main.css'] } }])
  })

  it('a plain build() is byte for byte the build without the plugin, and starts no server', async () => {
    const dir = await project({ 'main.js': 'import "./app.css"\nconsole.log(1)\n', 'app.css': '.a { color: red }\n' })
    const servers = listening()
    const build = async (plugins: esbuild.Plugin[]): Promise<string[]> => {
      const result = await esbuild.build({ absWorkingDir: dir, entryPoints: ['main.js'], bundle: true, outdir: 'dist', write: false, metafile: true, logLevel: 'silent', plugins })
      return [...result.outputFiles.map(file => `${path.basename(file.path)}\n${file.text}`), JSON.stringify(Object.keys(result.metafile.inputs))]
    }
    const withPlugin = await build([liveAssetsEsbuild(OPTIONS)])
    expect(withPlugin).toEqual(await build([]))
    expect(withPlugin.join('\n')).not.toContain('live-assets')
    expect(listening()).toBe(servers)
  })
})

describe('webpack', () => {
  /** Emits `app.css` from a source file that the watcher follows, as a CSS extract plugin would. */
  function cssAsset(file: string): webpack.WebpackPluginInstance {
    return {
      apply(compiler) {
        compiler.hooks.thisCompilation.tap('css-asset', (compilation) => {
          compilation.fileDependencies.add(file)
          compilation.hooks.processAssets.tapPromise({ name: 'css-asset', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, async () => {
            compilation.emitAsset('app.css', new webpack.sources.RawSource(await readFile(file, 'utf8')))
          })
        })
      },
    }
  }

  const config = (dir: string, plugins: webpack.WebpackPluginInstance[]): Configuration => ({
    mode: 'development',
    devtool: false,
    context: dir,
    entry: './main.js',
    output: { path: path.join(dir, 'dist') },
    infrastructureLogging: { level: 'none' },
    plugins: [cssAsset(path.join(dir, 'app.css')), ...plugins],
  })

  it('webpack --watch publishes one reloadCSS naming the rebuilt stylesheet', async () => {
    const dir = await project({ 'main.js': 'console.log(1)\n', 'app.css': '.a { color: red }\n' })
    const done: Stats[] = []
    let failed: Error | undefined
    // With `watch: true` and a callback, webpack watches as `webpack --watch` does.
    const compiler = webpack({ ...config(dir, [liveAssetsWebpack(OPTIONS)]), watch: true }, (error, stats) => {
      if (error)
        failed = error
      else
        done.push(stats!)
    })
    cleanups.push(() => new Promise(resolve => compiler!.watching!.close(resolve)))
    await until(() => {
      if (failed)
        throw failed
      return done.length === 1
    }, 'the first build', 20_000)
    expect(done[0].hasErrors(), done[0].toString()).toBe(false)
    const { origin, subscriber } = await subscribeTo(await readFile(path.join(dir, 'dist/main.js'), 'utf8'))
    const before = await published(origin)

    await writeFile(path.join(dir, 'app.css'), '.a { color: blue }\n')
    await until(() => done.length >= 2 && subscriber.events.length > 0, 'the rebuild and its event', 20_000)
    expect(subscriber.events).toEqual([{ event: 'reloadCSS', data: { files: ['/app.css'] } }])
    expect(await published(origin)).toBe(before + 1)
  })

  it('a plain build adds no client and starts no server', async () => {
    const dir = await project({ 'main.js': 'console.log(1)\n', 'app.css': '.a { color: red }\n' })
    const servers = listening()
    const build = (plugins: webpack.WebpackPluginInstance[]): Promise<string> => new Promise((resolve, reject) => {
      const compiler = webpack(config(dir, plugins))
      compiler.run((error, stats) => {
        compiler.close(() => {})
        if (error || stats!.hasErrors())
          return reject(error ?? new Error(stats!.toString()))
        resolve(readFile(path.join(dir, 'dist/main.js'), 'utf8'))
      })
    })
    const withPlugin = await build([liveAssetsWebpack(OPTIONS)])
    expect(withPlugin).toBe(await build([]))
    expect(withPlugin).not.toContain('live-assets')
    expect(listening()).toBe(servers)
  })
})
