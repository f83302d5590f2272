import type { LivePage } from '../utils/live-page'
import type { NodeProcess } from '../utils/process'
import type { StandIn } from './stand-ins'
import type { CliProcess } from './utils'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { poll } from '../utils/poll'
import { killAll, spawnNode } from '../utils/process'
import { django, express, laravel, rails, staticSite } from './stand-ins'
import { startCli, stats } from './utils'

const README = fileURLToPath(new URL('../../packages/cli/README.md', import.meta.url))

/** Splits a command line as a POSIX shell would, for the quoting the README uses; `#` starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = []
  for (const [, double, single, bare] of line.matchAll(/"([^"]*)"|'([^']*)'|(#.*|[^\s"']+)/g)) {
    if (bare?.startsWith('#'))
      break
    words.push(double ?? single ?? bare)
  }
  return words
}

/** The arguments after `program` on its line of the ```sh block of the README's `### <section>`. */
async function recipe(section: string, program = 'live-assets'): Promise<string[]> {
  const readme = await readFile(README, 'utf8')
  const start = readme.indexOf(`\n### ${section}\n`)
  expect(start, `the CLI README has a "### ${section}" section`).toBeGreaterThan(-1)
  const sh = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))![1]
  for (const line of sh.split('\n')) {
    const words = shellWords(line)
    if (words.includes(program))
      return words.slice(words.indexOf(program) + 1)
  }
  throw new Error(`no \`${program}\` line in the sh block of "### ${section}"`)
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), content)
  }
}

async function edit(dir: string, name: string, from: string, to: string): Promise<void> {
  const before = await readFile(path.join(dir, name), 'utf8')
  expect(before).toContain(from)
  await writeFile(path.join(dir, name), before.replace(from, to))
}

const BODY = '<body>\n  <h1 class="title">Recipes</h1>\n  <!-- live-assets -->\n</body>\n'
const SHEET = '.title { color: rgb(10, 20, 30); }\n'

interface Recipe {
  /** The `### <section>` of the README. */
  section: string
  files: Record<string, string>
  /** The file that renders the page; the CLI's printed tag goes in at `<!-- live-assets -->`. */
  layout: string
  sheet: string
  /**
   * The URL path that the CLI publishes for `sheet`, from the recipe's `--base`: the backend's own URL, or one that
   * ends the same way (Propshaft drops `stylesheets/`; the browser matches by the end of the path).
   */
  published: string
  standIn: (dir: string) => Promise<StandIn>
}

const RECIPES: Recipe[] = [
  {
    section: 'Rails',
    files: {
      'app/assets/stylesheets/application.css': SHEET,
      'app/views/layouts/application.html.erb': `<!doctype html>\n<head><%= stylesheet_link_tag "application" %></head>\n${BODY}`,
      'public/robots.txt': '',
    },
    layout: 'app/views/layouts/application.html.erb',
    sheet: 'app/assets/stylesheets/application.css',
    published: '/assets/stylesheets/application.css',
    standIn: rails,
  },
  {
    section: 'Django',
    files: {
      'myapp/static/myapp/site.css': SHEET,
      'myapp/templates/base.html': `<!doctype html>\n<head><link rel="stylesheet" href="{% static 'myapp/site.css' %}"></head>\n${BODY}`,
    },
    layout: 'myapp/templates/base.html',
    sheet: 'myapp/static/myapp/site.css',
    published: '/static/myapp/site.css',
    standIn: dir => django(dir),
  },
  {
    section: 'Laravel',
    files: {
      'public/css/app.css': SHEET,
      'resources/views/layouts/app.blade.php': `<!doctype html>\n<head><link rel="stylesheet" href="{{ mix('css/app.css') }}"></head>\n${BODY}`,
    },
    layout: 'resources/views/layouts/app.blade.php',
    sheet: 'public/css/app.css',
    published: '/css/app.css',
    standIn: laravel,
  },
  {
    section: 'Express (or any Node server)',
    files: {
      'public/css/site.css': SHEET,
      'views/layout.ejs': `<!doctype html>\n<head><link rel="stylesheet" href="/static/css/site.css"></head>\n${BODY}`,
    },
    layout: 'views/layout.ejs',
    sheet: 'public/css/site.css',
    published: '/static/css/site.css',
    standIn: express,
  },
  {
    section: 'Static sites',
    files: {
      'css/site.css': SHEET,
      'index.html': `<!doctype html>\n<head><link rel="stylesheet" href="/css/site.css"></head>\n${BODY}`,
    },
    layout: 'index.html',
    sheet: 'css/site.css',
    published: '/css/site.css',
    standIn: staticSite,
  },
]

/**
 * Each recipe of the CLI README, run as written (plus `--port 0`) in a project laid out as that backend lays out
 * its files, with a stand-in server that names, serves and caches them as that backend does in development.
 */
describe('the CLI README recipes', () => {
  let dir: string | undefined
  let cli: CliProcess | undefined
  let server: StandIn | undefined
  let live: LivePage | undefined
  let tailwind: NodeProcess | undefined

  afterEach(async () => {
    await live?.close()
    await cli?.stop()
    killAll()
    await tailwind?.stop()
    await server?.close()
    if (dir)
      await rm(dir, { recursive: true, force: true, maxRetries: 3 })
    dir = cli = server = live = tailwind = undefined
  })

  /** Starts the README's command, puts its tag in the page and opens it; the tag's write must reach the CLI first. */
  async function open(section: string, layout: string, standIn: (dir: string) => Promise<StandIn>): Promise<{ responses: string[] }> {
    cli = await startCli([...await recipe(section), '--port', '0'], dir!)
    // The layout is in the recipe's `--reload` glob: its reload event, which no page hears yet, proves that glob.
    await edit(dir!, layout, '<!-- live-assets -->', cli.scriptTag)
    await poll(async () => (await stats(cli!.endpoints)).eventsPublished >= 1, { what: `the CLI to see ${layout} change` })
    server = await standIn(dir!)
    const responses: string[] = []
    live = await openPage(`${server.url}/`)
    live.page.on('response', response => void responses.push(`${response.status()} ${new URL(response.url()).pathname}`))
    return { responses }
  }

  /** Restyled in place: the new color, the same document, nothing answered 404, no fallback to every sheet. */
  async function expectRestyled(color: string, published: string, responses: string[]): Promise<void> {
    await live!.page.waitForFunction(c => getComputedStyle(document.querySelector('.title')!).color === c, color, { timeout: 10_000 })
    expect((await live!.events('before-swap')).map(detail => detail.files)).toEqual([[published]])
    expect(await live!.sentinel()).toBe(live!.firstSentinel)
    expect(responses.filter(r => r.startsWith('404'))).toEqual([])
    expect(live!.console.filter(line => line.includes('no stylesheet on this page matches'))).toEqual([])
    expect((await live!.events('after-swap')).length).toBeGreaterThan(0)
  }

  it.each(RECIPES)('$section: an edited stylesheet restyles the page in place', async ({ section, files, layout, sheet, published, standIn }) => {
    dir = await mkdtemp(path.join(tmpdir(), 'live-assets-recipe-'))
    await write(dir, files)
    const { responses } = await open(section, layout, standIn)
    expect(await live!.style('.title', 'color')).toBe('rgb(10, 20, 30)')

    await edit(dir, sheet, 'rgb(10, 20, 30)', 'rgb(40, 50, 60)')
    await expectRestyled('rgb(40, 50, 60)', published, responses)

    if (section === 'Rails') {
      // The recipe's `--reload` glob: an edited template reloads the page.
      await edit(dir, layout, 'Recipes', 'Recipes, reloaded')
      await poll(async () => (await live!.sentinel().catch(() => live!.firstSentinel)) !== live!.firstSentinel, { what: 'the page to reload' })
      expect(await live!.page.textContent('.title')).toBe('Recipes, reloaded')
    }
  })

  it('static sites built with the Tailwind CSS CLI: the built sheet restyles the page in place', async () => {
    const section = 'Static sites built with the Tailwind CSS CLI'
    dir = await mkdtemp(path.join(tmpdir(), 'live-assets-recipe-'))
    await write(dir, {
      'src/input.css': '@import "tailwindcss";\n@theme { --color-brand: rgb(10, 20, 30); }\n',
      'public/index.html': `<!doctype html>\n<head><link rel="stylesheet" href="/app.css"></head>\n${BODY.replace('class="title"', 'class="title text-brand"')}`,
    })
    // Installed as the project's devDependencies would be: `@import "tailwindcss"` resolves from it.
    await symlink(fileURLToPath(new URL('../node_modules', import.meta.url)), path.join(dir, 'node_modules'), 'dir')
    const cliPackage = createRequire(import.meta.url).resolve('@tailwindcss/cli/package.json')
    const bin = path.join(path.dirname(cliPackage), (JSON.parse(await readFile(cliPackage, 'utf8')) as { bin: Record<string, string> }).bin.tailwindcss)
    // Standard input closed, as under concurrently, a Procfile or `&`.
    tailwind = spawnNode(dir, bin, await recipe(section, '@tailwindcss/cli'))
    const built = (): Promise<string> => readFile(path.join(dir!, 'public/app.css'), 'utf8').catch(() => '')
    await poll(async () => (await built()).includes('.text-brand'), { what: 'Tailwind to build public/app.css with .text-brand' }).catch((error: Error) => {
      throw new Error(`${error.message}; it printed:\n${tailwind!.stderr()}`)
    })

    const { responses } = await open(section, 'public/index.html', () => staticSite(path.join(dir!, 'public')))
    expect(await live!.style('.title', 'color')).toBe('rgb(10, 20, 30)')

    await edit(dir, 'src/input.css', 'rgb(10, 20, 30)', 'rgb(40, 50, 60)')
    await expectRestyled('rgb(40, 50, 60)', '/app.css', responses)
  })
})
