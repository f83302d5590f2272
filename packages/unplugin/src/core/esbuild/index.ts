import type { ErrorPayload } from '@live-assets/core'
import type { BuildResult, Message, Metafile, PluginBuild } from 'esbuild'
import type { ResolvedOptions } from '../shared/options'
import type { StandaloneLease } from '../shared/standalone'
import type { BuildOutput, WatchBuild } from '../shared/watch-build'
import { Buffer } from 'node:buffer'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import { clientLoader } from '../shared/client-loader'
import { acquireStandalone } from '../shared/standalone'
import { createWatchBuild } from '../shared/watch-build'

/** Resolved by our own `onResolve`: asking for it tells whether the build is still active. */
const PROBE = 'live-assets:is-this-build-active'
/** The module added to every JavaScript entry (esbuild's `inject`): empty until the build is known to be a context. */
const LOADER = 'live-assets:client-loader'
const NAMESPACE = 'live-assets'

/**
 * esbuild's plugin API says nothing about watch mode, and a plugin is set up the same way for `build()` and
 * `context()`. What tells them apart: a plain `build()` is over when its `onEnd` callbacks run, and esbuild refuses
 * `build.resolve()` then ("Cannot call resolve on an inactive build"), while a context (`watch()`, `serve()`,
 * `rebuild()`) still answers it. So the first `onEnd` asks once: a plain build starts nothing and adds nothing.
 *
 * The client loader is the content of an injected module, empty until that answer, so a plain build's output is
 * byte for byte what it would be without the plugin. `serve()` answers from esbuild's own in-memory copy of the
 * latest build (it rebuilds for a request unless it built in the last 250 ms), and `onEnd` only gets a copy of it:
 * the loader has to be in what esbuild builds, which it is from the second build of a context on, because esbuild
 * loads plugin modules again for every build. The first build, the one that answered, was built without it: its
 * written entries get it prepended (on disk, or in `result.outputFiles` with `write: false`), on their first line so
 * that no source-mapped line moves; only `serve()`'s copy of that one build lacks it.
 */
export function esbuildWatchMode(options: ResolvedOptions): (build: PluginBuild) => void {
  return (build) => {
    build.initialOptions.metafile = true
    build.initialOptions.inject = [...build.initialOptions.inject ?? [], LOADER]
    const cwd = build.initialOptions.absWorkingDir ?? process.cwd()
    const { outdir, outfile } = build.initialOptions
    const outDir = path.resolve(cwd, outdir ?? (outfile ? path.dirname(outfile) : '.'))
    let disposed = false
    let session: { lease: StandaloneLease, build: WatchBuild } | undefined
    let deciding: Promise<void> | undefined
    /** Whether the current build's entries got the loader from the injected module. */
    let carried = false

    async function report(result: BuildResult): Promise<void> {
      if (!session)
        return
      const entries = entryScripts(result, cwd)
      // esbuild writes nothing from a build with errors.
      if (!carried && !result.errors.length)
        await prependLoader(result, entries, session.lease.clientUrl)
      // esbuild only warns about broken CSS and writes what it could parse; the browser would drop the rest.
      const error = result.errors[0] ?? result.warnings.find(warning => warning.id === 'css-syntax-error')
      if (error) {
        session.build.failed(toErrorPayload(error, cwd))
        return
      }
      const outputs = await outputsOf(result, cwd, outDir)
      // The entries of the first build differ from every later one's by the loader module: the first build that
      // carries it is their baseline, so that a `reload` glob matching them does not fire for that difference alone.
      session.build.written(outDir, carried ? outputs : outputs.filter(output => !entries.has(path.resolve(outDir, output.fileName))))
    }

    async function prependLoader(result: BuildResult, entries: Set<string>, clientUrl: string): Promise<void> {
      const loader = clientLoader(clientUrl)
      const inMemory = new Map(result.outputFiles?.map(file => [file.path, file]))
      for (const file of entries) {
        const output = inMemory.get(file)
        if (output)
          output.contents = Buffer.concat([Buffer.from(loader), output.contents])
        else if (build.initialOptions.write !== false)
          await readFile(file, 'utf8').then(code => writeFile(file, loader + code), () => {})
      }
    }

    build.onResolve({ filter: new RegExp(`^${PROBE}$`) }, args => ({ path: args.path, external: true }))
    build.onResolve({ filter: new RegExp(`^${LOADER}$`) }, () => ({ path: LOADER, namespace: NAMESPACE }))
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => {
      carried = session !== undefined
      return { contents: session ? clientLoader(session.lease.clientUrl) : '', loader: 'js' }
    })
    build.onStart(() => {
      carried = false
    })

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
        if (!active) {
          forgetLoader(result.metafile)
          return
        }
        if (disposed)
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

/** Absolute paths of the JavaScript entry bundles of a build. */
function entryScripts(result: BuildResult, cwd: string): Set<string> {
  const outputs = Object.entries(result.metafile?.outputs ?? {})
  return new Set(outputs.filter(([file, output]) => output.entryPoint && /\.[cm]?js$/.test(file)).map(([file]) => path.resolve(cwd, file)))
}

/** A plain build's metafile, as it would be without the plugin: the empty loader module was one of its inputs. */
function forgetLoader(metafile: Metafile | undefined): void {
  if (!metafile)
    return
  delete metafile.inputs[`${NAMESPACE}:${LOADER}`]
  for (const input of Object.values(metafile.inputs))
    input.imports = input.imports.filter(imported => imported.path !== LOADER)
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
