import type { ErrorPayload } from '@live-assets/core'
import type { OutputBundle, Plugin, PluginContext, RollupError } from 'rollup'
import type { ResolvedOptions } from '../shared/options'
import type { StandaloneLease } from '../shared/standalone'
import type { BuildOutput, WatchBuild } from '../shared/watch-build'
import path from 'node:path'
import process from 'node:process'
import { clientLoader } from '../shared/client-loader'
import { acquireStandalone } from '../shared/standalone'
import { createWatchBuild } from '../shared/watch-build'

/** The hooks used here have the same shape in Rollup 4 and Rolldown 1. */
export type RollupLikePlugin = Pick<Plugin, 'buildStart' | 'buildEnd' | 'renderError' | 'intro' | 'writeBundle' | 'closeWatcher'>

/**
 * `rollup -w` and Rolldown's watch mode: the plugin takes a hold on the process's standalone server at the first
 * `buildStart` of a watch (`this.meta.watchMode`), adds the client loader to entry chunks, compares the written
 * outputs after each `writeBundle`, and lets go in `closeWatcher`. A plain build starts nothing and adds nothing.
 */
export function rollupWatchMode(options: ResolvedOptions, bundler: 'rollup' | 'rolldown'): RollupLikePlugin {
  let session: { lease: StandaloneLease, build: WatchBuild } | undefined
  let starting: Promise<unknown> | undefined

  const fail = (error: RollupError): void => session?.build.failed(toErrorPayload(error, bundler))

  return {
    async buildStart(this: PluginContext) {
      if (!this.meta.watchMode || session)
        return
      // Several outputs or configs may share this plugin object: one hold per watcher.
      starting ??= acquireStandalone(options).then((lease) => {
        session = { lease, build: createWatchBuild(lease, options, bundler) }
      }).finally(() => {
        starting = undefined
      })
      await starting
    },
    buildEnd(error) {
      if (error)
        fail(error)
    },
    renderError(error) {
      if (error)
        fail(error)
    },
    intro(chunk) {
      return session && chunk.isEntry ? clientLoader(session.lease.clientUrl) : ''
    },
    writeBundle(output, bundle) {
      if (!session)
        return
      const outDir = output.dir ?? (output.file ? path.dirname(output.file) : process.cwd())
      session.build.written(outDir, outputsOf(bundle))
    },
    closeWatcher() {
      session?.lease.release()
      session = undefined
    },
  }
}

/** Hashed file names are recognised across builds by their asset or chunk name, when that name is unique. */
function outputsOf(bundle: OutputBundle): BuildOutput[] {
  const items = Object.values(bundle)
  const nameOf = (item: typeof items[number]): string | undefined => item.type === 'chunk' ? `chunk:${item.name}` : item.names?.[0] === undefined ? undefined : `asset:${item.names[0]}`
  const counts = new Map<string, number>()
  for (const item of items) {
    const name = nameOf(item)
    if (name)
      counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return items.map((item) => {
    const name = nameOf(item)
    return {
      fileName: item.fileName,
      source: item.type === 'chunk' ? item.code : item.source,
      key: name && counts.get(name) === 1 ? name : item.fileName,
    }
  })
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[\d;]*m/g

/** A Rollup or Rolldown error as the overlay shows it: the message with its code frame, file, line and column. */
export function toErrorPayload(error: RollupError, bundler: string): ErrorPayload {
  const file = error.loc?.file ?? error.id
  const relative = file && path.isAbsolute(file) ? path.relative(process.cwd(), file).replace(/\\/g, '/') : file
  const message = [error.message, error.frame].filter(Boolean).join('\n\n').replace(ANSI, '')
  return {
    message: process.cwd().length > 1 ? message.split(`${process.cwd()}${path.sep}`).join('') : message,
    ...(relative ? { file: relative } : {}),
    ...(error.loc?.line ? { line: error.loc.line } : {}),
    ...(error.loc?.line && error.loc.column !== undefined ? { column: error.loc.column + 1 } : {}),
    source: error.plugin ? `${bundler} (${error.plugin})` : bundler,
  }
}
