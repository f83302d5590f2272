import type { LivePage } from '../utils/live-page'
import type { PageServer } from '../utils/page-server'
import type { NodeProcess } from '../utils/process'
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edit } from '../dev-server/harness'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'
import { poll } from '../utils/poll'
import { killAll, spawnNode } from '../utils/process'
import { paintedAt, sampleColors } from '../watch-mode/harness'

/**
 * The packages as they are published: `pnpm pack` of each (it rewrites `workspace:*`), `npm install` of the tarballs
 * into a fresh project outside the workspace (no links, no hoisting help), then one stylesheet edit per bundler in
 * Chromium, `tsc --noEmit` of the TypeScript configs, publint and arethetypeswrong (the workspace's) of every tarball.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = fileURLToPath(new URL('fixtures', import.meta.url))
const PACKAGES = ['core', 'client', 'unplugin', 'cli', 'redis']

/** What the project installs besides the tarballs: every range from the workspace's catalog or root package.json. */
const CATALOG_DEPENDENCIES = ['vite', 'webpack', 'webpack-cli', 'webpack-dev-server', 'css-loader', 'html-webpack-plugin', 'mini-css-extract-plugin', '@rspack/core', '@rspack/cli', '@rspack/dev-server', '@rsbuild/core', 'rollup', 'esbuild', 'tsx']
const ROOT_DEPENDENCIES = ['typescript', '@types/node']

/** The installed TypeScripts: the workspace's (5.9) and the newest release. */
const TYPESCRIPTS = { 'typescript': 'the workspace\'s', 'typescript-latest': 'the newest' }

/**
 * arethetypeswrong's options per package. The three ESM-only packages resolve to ESM under node16 from CommonJS, which
 * attw reports as `cjs-resolves-to-esm`: their engines (^20.19.0 || >=22.12.0) all `require()` ES modules, and
 * TypeScript >= 5.8 types such a require. The client's `./classic`, `./classic-debug` and `./extras` are plain
 * scripts the server reads from disk and serves; nothing imports them, so they have no types.
 */
const ATTW: Record<string, string[]> = {
  core: ['--ignore-rules', 'cjs-resolves-to-esm'],
  client: ['--ignore-rules', 'cjs-resolves-to-esm', '--exclude-entrypoints', './classic', './classic-debug', './extras'],
  unplugin: [],
  cli: ['--ignore-rules', 'cjs-resolves-to-esm'],
  redis: ['--ignore-rules', 'cjs-resolves-to-esm'],
}

const phases: string[] = []
let work: string
let project: string
/** Per package folder: its npm name and its tarball. */
const packed: Record<string, { name: string, tarball: string }> = {}

async function timed<T>(phase: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await run()
  }
  finally {
    phases.push(`${phase} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
}

/** The environment of a terminal: no `npm_*` variables of the pnpm script that runs the tests, no NODE_ENV=test. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_|^pnpm_|^NODE_ENV$|^VITEST/i.test(name)))
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1' }
}

/** Runs a command to its end; a failure says what `step` was and prints the command's output. */
function run(step: string, command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: userEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`[live-assets] ${step} failed (${command} ${args.join(' ')}, exit ${error.code}):\n${stdout}${stderr}`))
      else
        resolve(stdout + stderr)
    })
  })
}

/** The ranges of `names` in the `catalog:` of pnpm-workspace.yaml. */
async function catalogRanges(names: string[]): Promise<Record<string, string>> {
  const yaml = await readFile(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
  const block = /^catalog:\n((?: .*\n)+)/m.exec(yaml)?.[1] ?? ''
  const ranges = Object.fromEntries([...block.matchAll(/^ {2}'?([^':\s]+)'?: (\S+)$/gm)].map(([, name, range]) => [name, range]))
  return Object.fromEntries(names.map((name) => {
    if (!ranges[name])
      throw new Error(`[live-assets] ${name} is not in the catalog of pnpm-workspace.yaml`)
    return [name, ranges[name]]
  }))
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'live-assets-packed-'))
  const packs = path.join(work, 'packs')
  await timed('pnpm pack', async () => {
    for (const folder of PACKAGES) {
      await run(`pnpm pack of packages/${folder}`, 'pnpm', ['pack', '--pack-destination', packs], path.join(ROOT, 'packages', folder))
      const { name, version } = JSON.parse(await readFile(path.join(ROOT, 'packages', folder, 'package.json'), 'utf8')) as { name: string, version: string }
      packed[folder] = { name, tarball: path.join(packs, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`) }
    }
  })

  project = path.join(work, 'project')
  await cp(FIXTURES, project, { recursive: true })
  await writeFile(path.join(project, 'package.json'), `${JSON.stringify({ name: 'packed-install', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`)
  const root = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
  const ranges = { ...await catalogRanges(CATALOG_DEPENDENCIES), ...Object.fromEntries(ROOT_DEPENDENCIES.map(name => [name, root.devDependencies[name]])) }
  const specs = [
    ...Object.values(packed).map(({ tarball }) => tarball),
    ...Object.entries(ranges).map(([name, range]) => `${name}@${range}`),
    'typescript-latest@npm:typescript@latest',
  ]
  // No install scripts: every native binary here (esbuild, Rspack, Rolldown) comes in a platform package.
  const output = await timed('npm install', () => run('npm install of the tarballs', 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', ...specs], project))
  console.log(`[live-assets] packed install in ${project}: ${/^(?:added|changed|up to date).*$/m.exec(output)?.[0]}`)
}, 300_000)

afterAll(async () => {
  killAll()
  console.log(`[live-assets] packed install phases: ${phases.join(', ')}`)
  if (work)
    await rm(work, { recursive: true, force: true, maxRetries: 3 })
})

describe('the tarballs', () => {
  it('hold what a user needs: no workspace: or catalog: ranges, the dist files', async () => {
    for (const { name } of Object.values(packed)) {
      const installed = path.join(project, 'node_modules', name)
      expect(await readFile(path.join(installed, 'package.json'), 'utf8'), name).not.toMatch(/"(?:workspace|catalog):/)
      expect((await readdir(path.join(installed, 'dist'))).length, name).toBeGreaterThan(0)
    }
  })

  it('publint finds nothing in any of them', async () => {
    for (const { name, tarball } of Object.values(packed)) {
      const bytes = await readFile(tarball)
      const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }, level: 'suggestion', strict: true })
      expect(messages.map(message => formatMessage(message, pkg)), `publint of ${name}`).toEqual([])
    }
  })

  it('arethetypeswrong: every entry resolves, with types, under node10, node16 (CJS and ESM) and bundler', async () => {
    await timed('attw', async () => {
      for (const [folder, { name, tarball }] of Object.entries(packed))
        await run(`arethetypeswrong of ${name}`, path.join(ROOT, 'node_modules/.bin/attw'), [tarball, '--format', 'table-flipped', '--no-color', ...ATTW[folder]], work)
    })
  }, 60_000)

  it('require(\'unplugin-live-assets/webpack\') is the plugin function in CommonJS', async () => {
    const output = await run('require() of unplugin-live-assets/webpack', process.execPath, ['-e', 'console.log(typeof require(\'unplugin-live-assets/webpack\'))'], project)
    expect(output.trim()).toBe('function')
  })
})

describe('the TypeScript configs typecheck (vite, webpack, rspack, rsbuild)', () => {
  // TypeScript 7 removed `moduleResolution: node10` (6.0 deprecated it): that config is for TypeScript 5 only.
  const cases = Object.entries(TYPESCRIPTS).flatMap(([typescript, which]) =>
    ['node10', 'bundler', 'nodenext'].filter(resolution => typescript === 'typescript' || resolution !== 'node10').map(resolution => ({ typescript, which, resolution })))

  for (const { typescript, which, resolution } of cases) {
    it(`${typescript} (${which}) with moduleResolution ${resolution}`, async () => {
      const version = JSON.parse(await readFile(path.join(project, 'node_modules', typescript, 'package.json'), 'utf8')).version
      await timed(`tsc ${version} ${resolution}`, () => run(`tsc ${version} --noEmit -p tsconfig.${resolution}.json`, process.execPath, [`node_modules/${typescript}/bin/tsc`, '--noEmit', '-p', `tsconfig.${resolution}.json`], project))
    }, 60_000)
  }
})

interface Started {
  /** The page. */
  url: string
  /** What the bundler printed so far. */
  output: () => string
  stop: () => Promise<unknown>
}

interface Bundler {
  name: string
  /** Its folder in fixtures/. */
  dir: string
  /** The stylesheet the test edits, in `dir`. */
  sheet: string
  start: (dir: string) => Promise<Started>
}

/** Vitest's NODE_ENV=test is no user's: the bundlers run as in a terminal. */
const DEV = { NODE_ENV: 'development' }

/** A bin of the project, run as `npx <bin>` runs it. */
function bin(dir: string, name: string, args: string[]): NodeProcess {
  return spawnNode(dir, path.join(project, 'node_modules', '.bin', name), args, DEV)
}

/** A dev server that prints the URL of its page; ready once that page answers. */
function devServer(name: string, args: string[], url: RegExp): Bundler['start'] {
  return async (dir) => {
    const child = bin(dir, name, args)
    try {
      await child.waitFor(url, 1, 60_000)
      const page = url.exec(child.output())![1]
      await poll(async () => (await fetch(page)).ok, { what: `an answer from ${page}` })
      return { url: page, output: child.output, stop: () => child.stop() }
    }
    catch (error) {
      await child.stop()
      throw new Error(`${(error as Error).message}\n${child.output()}`)
    }
  }
}

/** A watcher beside a static server of `root`. */
async function besidePageServer(child: NodeProcess, root: string, ready: RegExp, liveOrigin = ''): Promise<Started & { pages: PageServer }> {
  await child.waitFor(ready, 1, 60_000)
  const pages = await startPageServer({ root, liveOrigin })
  return { url: `${pages.url}/`, pages, output: child.output, stop: async () => Promise.all([child.stop(), pages.close()]) }
}

const LOCAL = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/
const LOOPBACK = /Loopback: (http:\/\/127\.0\.0\.1:\d+\/)/
const HOST = ['--host', '127.0.0.1', '--port', '0']

const BUNDLERS: Bundler[] = [
  { name: 'Vite (vite.config.ts)', dir: 'vite', sheet: 'public/style.css', start: devServer('vite', HOST, LOCAL) },
  { name: 'webpack-dev-server (webpack serve, webpack.config.ts)', dir: 'webpack', sheet: 'src/style.css', start: devServer('webpack', ['serve', '--config', 'webpack.config.ts', ...HOST], LOOPBACK) },
  { name: 'webpack-dev-server (webpack serve, CommonJS webpack.config.js)', dir: 'webpack-cjs', sheet: 'src/style.css', start: devServer('webpack', ['serve', ...HOST], LOOPBACK) },
  { name: 'Rspack (rspack dev, rspack.config.ts)', dir: 'rspack', sheet: 'src/style.css', start: devServer('rspack', ['dev', ...HOST], LOCAL) },
  { name: 'Rsbuild (rsbuild dev, rsbuild.config.ts)', dir: 'rsbuild', sheet: 'src/style.css', start: devServer('rsbuild', ['dev', ...HOST], LOCAL) },
  {
    name: 'Rollup (rollup -c -w beside a static server)',
    dir: 'rollup',
    sheet: 'src/style.css',
    start: dir => besidePageServer(bin(dir, 'rollup', ['-c', '-w']), path.join(dir, 'dist'), /created dist/),
  },
  {
    name: 'esbuild (context() watch() and serve())',
    dir: 'esbuild',
    sheet: 'src/style.css',
    async start(dir) {
      const child = spawnNode(dir, 'dev.mjs', [], DEV)
      await child.waitFor(/page: (http:\/\/127\.0\.0\.1:\d+\/)/, 1, 60_000)
      const url = /page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(child.output())![1]
      // serve() answers from the context's first build for 250 ms, made before the client loader (see the README).
      await poll(async () => (await (await fetch(`${url}main.js`)).text()).includes('/__live_assets/client.js'), { what: 'the client loader in the served main.js' })
      return { url, output: child.output, stop: () => child.stop() }
    },
  },
  {
    name: 'the CLI (live-assets beside a static page)',
    dir: 'cli',
    sheet: 'public/style.css',
    async start(dir) {
      const child = bin(dir, 'live-assets', ['--watch', 'public/**/*.css', '--port', '0'])
      const ready = /ready in \d+ ms at (http:\/\/127\.0\.0\.1:\d+)\/__live_assets/
      await child.waitFor(ready, 1, 30_000)
      return besidePageServer(child, path.join(dir, 'public'), ready, ready.exec(child.output())![1])
    },
  },
]

describe('one stylesheet edit per bundler, against the installed packages', () => {
  for (const { name, dir: folder, sheet, start } of BUNDLERS) {
    it(`${name}: restyles the page in place, without a reload`, async () => {
      const dir = path.join(project, folder)
      let started: Started | undefined
      let live: LivePage | undefined
      const begin = performance.now()
      try {
        started = await start(dir)
        live = await openPage(started.url)
        await sampleColors(live.page, ['#styled'])
        const savedAt = await edit(dir, sheet, 'rgb(10, 20, 30)', 'rgb(10, 20, 31)')
        const restyled = await paintedAt(live.page, 0, 'rgb(10, 20, 31)', 20_000)
        expect(await live.sentinel(), 'the page reloaded').toBe(live.firstSentinel)
        phases.push(`${folder} ${((performance.now() - begin) / 1000).toFixed(1)} s (save to restyle ${restyled - savedAt} ms)`)
      }
      catch (error) {
        throw new Error(`[live-assets] ${name}: ${(error as Error).message}\n${started ? `its output:\n${started.output()}` : ''}`, { cause: error })
      }
      finally {
        await live?.close()
        await started?.stop()
      }
    }, 90_000)
  }
})
