import type { ViteDevServer } from 'vite'
import type { LivePage } from '../utils/live-page'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { edit, loadFrom, stats } from './harness'

type Vite = typeof import('vite')

/**
 * The Vite playground with Tailwind CSS v4. The copy lives under test/, so `@tailwindcss/vite` and `tailwindcss`
 * resolve from this package's devDependencies, as they would from a project's own.
 */
const CONFIG = `import tailwindcss from '@tailwindcss/vite'
import liveAssets from 'unplugin-live-assets/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [tailwindcss(), liveAssets()],
})
`
const TAILWIND_ENTRY = `@import "tailwindcss";

#entry {
  color: rgb(10, 120, 100);
}
`
const OURS = /[?&]la=/

/** Waits until `selector` is painted with `color`. */
async function colored(live: LivePage, selector: string, color: string): Promise<void> {
  await live.page.waitForFunction(([s, c]) => getComputedStyle(document.querySelector(s)!).color === c, [selector, color] as const, { timeout: 20_000 })
}

describe('vite with Tailwind CSS v4: Tailwind watches public/ too, and public sheets stay ours', () => {
  let dir: string
  let server: ViteDevServer
  let url: string
  let live: LivePage
  const requests: string[] = []

  beforeAll(async () => {
    dir = await copyPlayground('vite')
    await writeFile(path.join(dir, 'vite.config.ts'), CONFIG)
    await writeFile(path.join(dir, 'src/tailwind.css'), TAILWIND_ENTRY)
    await edit(dir, 'src/main.ts', '// Page state', `import './tailwind.css'\n\n// Page state`)
    // A utility class that only Tailwind's scan of index.html can produce, and an element the entry's own rule styles.
    await edit(dir, 'index.html', '<p id="public">', '<p id="utility" class="text-[rgb(10,120,200)]">Tailwind utility</p>\n    <p id="entry">Tailwind entry rule</p>\n    <p id="public">')
    const { createServer } = await loadFrom<Vite>(dir, 'vite')
    server = await createServer({
      root: dir,
      configFile: path.join(dir, 'vite.config.ts'),
      cacheDir: path.join(dir, '.vite'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0 },
    })
    await server.listen()
    const { port } = server.httpServer!.address() as { port: number }
    url = `http://127.0.0.1:${port}/`
    live = await openPage(url)
    live.page.on('request', request => void requests.push(request.url()))
    await colored(live, '#utility', 'rgb(10, 120, 200)')
    await colored(live, '#entry', 'rgb(10, 120, 100)')
    await colored(live, '#public', 'rgb(150, 30, 150)')
  }, 120_000)

  afterAll(async () => {
    await live?.close()
    await server?.close()
    await removeCopy(dir)
  })

  it('public/public.css is in Vite\'s module graph, put there by Tailwind (what made the plugin leave it to Vite)', () => {
    const graph = server.environments.client.moduleGraph
    expect(graph.getModulesByFile(path.join(dir, 'public/public.css'))?.size ?? 0).toBeGreaterThan(0)
  })

  it('editing public/public.css restyles it through live-assets: one event, one request of ours, no reload', async () => {
    const before = requests.length
    const published = (await stats(url)).eventsPublished
    const swaps = (await live.events('after-swap')).length
    await edit(dir, 'public/public.css', 'rgb(150, 30, 150)', 'rgb(150, 30, 151)')
    await colored(live, '#public', 'rgb(150, 30, 151)')
    // An observation window: a late reload or a second swap would show itself in it.
    await live.page.waitForTimeout(300)
    expect(requests.slice(before).filter(r => r.includes('/public.css'))).toEqual([expect.stringMatching(OURS)])
    expect((await stats(url)).eventsPublished).toBe(published + 1)
    expect(await live.events('after-swap')).toHaveLength(swaps + 1)
    expect(await live.style('#utility', 'color')).toBe('rgb(10, 120, 200)')
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('editing the Tailwind entry is Vite\'s HMR: no live-assets event, no request of ours, no reload', async () => {
    const before = requests.length
    const published = (await stats(url)).eventsPublished
    const swaps = (await live.events('after-swap')).length
    await edit(dir, 'src/tailwind.css', 'rgb(10, 120, 100)', 'rgb(10, 120, 101)')
    await colored(live, '#entry', 'rgb(10, 120, 101)')
    await live.page.waitForTimeout(300)
    expect(requests.slice(before).filter(r => OURS.test(r))).toEqual([])
    expect((await stats(url)).eventsPublished).toBe(published)
    expect(await live.events('after-swap')).toHaveLength(swaps)
    expect(await live.style('#utility', 'color')).toBe('rgb(10, 120, 200)')
    expect(await live.style('#public', 'color')).toBe('rgb(150, 30, 151)')
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
