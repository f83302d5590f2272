import type { RsbuildConfig } from '@rsbuild/core'
import type { DevServerSubject, RunningServer, Variant } from './suite'
import path from 'node:path'
import { loadFrom } from './harness'

type Rsbuild = typeof import('@rsbuild/core')

/**
 * `start` and `build` for an Rsbuild playground, through Rsbuild's Node API: the copy's own `rsbuild.config.ts` loaded
 * as the CLI loads it, then `startDevServer()` on 127.0.0.1 or `build()`.
 * @param overrides extra config for every start, e.g. the benchmark's own logging
 */
export function rsbuildRunner(overrides: RsbuildConfig = {}): Pick<DevServerSubject, 'start' | 'build'> {
  async function create(dir: string, config: RsbuildConfig): Promise<ReturnType<Rsbuild['createRsbuild']>> {
    const { createRsbuild, loadConfig, mergeRsbuildConfig } = await loadFrom<Rsbuild>(dir, '@rsbuild/core')
    const { content } = await loadConfig({ cwd: dir })
    return createRsbuild({ cwd: dir, config: mergeRsbuildConfig(content, { logLevel: 'warn' }, overrides, config) })
  }

  return {
    async start(dir, port, variant: Variant = {}): Promise<RunningServer> {
      const rsbuild = await create(dir, {
        // What `rsbuild dev` picks whatever NODE_ENV says (vitest sets it to `test`, which would turn HMR off).
        mode: 'development',
        server: { host: '127.0.0.1', port, strictPort: port !== 0, printUrls: false },
        ...('hot' in variant ? { dev: { hmr: variant.hot } } : {}),
        ...(variant.htmlPlugin === false ? { tools: { htmlPlugin: false } } : {}),
      })
      const { server, port: actual } = await rsbuild.startDevServer()
      return { url: `http://127.0.0.1:${actual}/`, port: actual, stop: () => server.close() }
    },
    async build(dir) {
      const rsbuild = await create(dir, { mode: 'production' })
      const { close } = await rsbuild.build()
      await close()
      return path.join(dir, 'dist')
    },
  }
}
