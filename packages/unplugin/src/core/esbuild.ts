import type { ErrorPayload } from '@live-assets/core'
import type { BuildResult, Message, Metafile, PluginBuild } from 'esbuild'
import type { ResolvedOptions } from './options'
import type { StandaloneLease } from './standalone'
import type { BuildOutput, WatchBuild } from './watch-build'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import { CLIENT_LOADER_MARKER, clientLoader } from './client-loader'
import { acquireStandalone } from './standalone'
import { createWatchBuild } from './watch-build'

/** Resolved by our own `onResolve`: asking for it tells whether the build is still active. */
const PROBE = 'live-assets:is-this-build-active'

/**
 * esbuild's plugin API says nothing about watch mode, and a plugin is set up the same way for `build()` and
 * `context()`. What tells them apart: a plain `build()` is over when its `onEnd` callbacks run, and esbuild refuses
 * `build.resolve()` then ("Cannot call resolve on an inactive build"), while a context (`watch()`, `serve()`,
 * `rebuild()`) still answers it. So the first `onEnd` asks once: a plain build starts nothing and adds nothing. The
 * client loader cannot be in the first build's banner (esbuild fixes its options before it builds), so it is
 * prepended to the first line of each written entry file, which moves no source-mapped line.
 */
export function esbuildWatchMode(options: ResolvedOptions): (build: PluginBuild) => void {
  return (build) => {
    build.initialOptions.metafile = true
    const cwd = build.initialOptions.absWorkingDir ?? process.cwd()
    const { outdir, outfile } = build.initialOptions
    const outDir = path.resolve(cwd, outdir ?? (outfile ? path.dirname(outfile) : '.'))
    let disposed = false
    let session: { lease: StandaloneLease, build: WatchBuild } | undefined
    let deciding: Promise<void> | undefined
    let warnedInMemory = false

    async function report(result: BuildResult): Promise<void> {
      if (!session)
        return
      // esbuild only warns about broken CSS and writes what it could parse; the browser would drop the rest.
      const error = result.errors[0] ?? result.warnings.find(warning => warning.id === 'css-syntax-error')
      if (error) {
        session.build.failed(toErrorPayload(error, cwd))
        return
      }
      const outputs = await outputsOf(result, cwd, outDir)
      session.build.written(outDir, outputs)
      await injectLoader(result, cwd, session.lease)
    }

    async function injectLoader(result: BuildResult, cwd: string, lease: StandaloneLease): Promise<void> {
      if (build.initialOptions.write === false) {
        if (!warnedInMemory)
          lease.logger.warn(`esbuild writes nothing (write: false), so the client loader cannot be added: add <script src="${lease.clientUrl}"></script> to the page.`)
        warnedInMemory = true
        return
      }
      for (const [file, output] of Object.entries(result.metafile?.outputs ?? {})) {
        if (!output.entryPoint || !/\.[cm]?js$/.test(file))
          continue
        const absolute = path.resolve(cwd, file)
        const code = await readFile(absolute, 'utf8').catch(() => undefined)
        // esbuild leaves a file it built the same way alone: it keeps the loader it got last time.
        if (code !== undefined && !code.slice(0, 1000).includes(CLIENT_LOADER_MARKER))
          await writeFile(absolute, clientLoader(lease.clientUrl) + code)
      }
    }

    build.onResolve({ filter: new RegExp(`^${PROBE}$`) }, args => ({ path: args.path, external: true }))

    async function isActive(): Promise<boolean> {
      try {
        await build.resolve(PROBE, { kind: 'entry-point', resolveDir: cwd })
        return true
      }
      catch {
        return false
      }
    }

    build.onEnd(async (result) => {
      deciding ??= isActive().then(async (active) => {
        if (!active || disposed)
          return
        const lease = await acquireStandalone(options)
        if (disposed)
          return lease.release()
        session = { lease, build: createWatchBuild(lease, options, 'esbuild') }
      })
      // A taken port with strictPort fails here, as an error of this plugin that esbuild prints.
      await deciding
      await report(result)
    })

    build.onDispose(() => {
      disposed = true
      session?.lease.release()
      session = undefined
    })
  }
}

/** The written outputs of a build (source maps aside), named relative to the output directory. */
async function outputsOf(result: BuildResult, cwd: string, outDir: string): Promise<BuildOutput[]> {
  const metafile: Metafile['outputs'] = result.metafile?.outputs ?? {}
  const inMemory = new Map(result.outputFiles?.map(file => [file.path, file.contents]))
  const outputs = await Promise.all(Object.entries(metafile).filter(([file]) => !file.endsWith('.map')).map(async ([file, output]): Promise<BuildOutput | undefined> => {
    const absolute = path.resolve(cwd, file)
    const source = inMemory.get(absolute) ?? await readFile(absolute).catch(() => undefined)
    if (source === undefined)
      return undefined
    return {
      fileName: path.relative(outDir, absolute),
      source,
      // `[name]-[hash].css`: the entry point stays the same across builds.
      key: output.entryPoint ? `${output.entryPoint}${path.extname(file)}` : file,
    }
  }))
  return outputs.filter(output => output !== undefined)
}

function toErrorPayload(message: Message, cwd: string): ErrorPayload {
  const { location } = message
  const frame = location ? `\n\n${String(location.line).padStart(4)} | ${location.lineText}\n     | ${' '.repeat(location.column)}^` : ''
  return {
    message: `${message.text}${frame}`,
    ...(location ? { file: path.relative(cwd, path.resolve(cwd, location.file)).replace(/\\/g, '/'), line: location.line, column: location.column + 1 } : {}),
    source: message.pluginName ? `esbuild (${message.pluginName})` : 'esbuild',
  }
}
