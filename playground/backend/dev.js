// @ts-check
/**
 * `pnpm play:backend`: starts the page server, then the live-assets CLI beside it on another port (another
 * origin), hands the `<script>` tag it prints to the layout, and prints the page URL. Extra arguments go to the
 * CLI, e.g. `pnpm play:backend --debug`.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startApp } from './app.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const cliPackage = require.resolve('@live-assets/cli/package.json')
const bin = path.join(path.dirname(cliPackage), require(cliPackage).bin['live-assets'])

/** @returns {import('./app.js').Fingerprint | undefined} FINGERPRINT, when it names a mode of the asset pipeline */
function fingerprint() {
  const mode = process.env.FINGERPRINT
  return mode === 'propshaft' || mode === 'sprockets' || mode === 'query' ? mode : undefined
}

/** @param {number} port */
async function startPageServer(port) {
  try {
    // FINGERPRINT=propshaft|sprockets|query: link digested names, as Rails, Sprockets or Laravel Mix do.
    return await startApp({ dir: here, port, fingerprint: fingerprint() })
  }
  catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EADDRINUSE')
      throw error
    console.warn(`[playground] port ${port} is taken; the page server takes a free one instead (set PORT to choose).`)
    return startApp({ dir: here, port: 0, fingerprint: fingerprint() })
  }
}

async function main() {
  const app = await startPageServer(Number(process.env.PORT ?? 3000))

  const cli = spawn(process.execPath, [
    bin,
    '--watch',
    'assets/**/*.css',
    '--url-base',
    '/assets',
    '--reload',
    'views/**/*.html',
    '--no-strict-port',
    ...process.argv.slice(2),
  ], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] })

  createInterface({ input: /** @type {import('node:stream').Readable} */ (cli.stdout) }).on('line', (line) => {
    console.log(line)
    // What a user pastes into their layout by hand.
    const tag = line.match(/<script src="[^"]+"><\/script>/)?.[0]
    if (tag) {
      app.setLiveAssetsTag(tag)
      console.log(`[playground] page: ${app.url.replace('127.0.0.1', 'localhost')}/`)
    }
  })

  cli.on('exit', async (code, signal) => {
    await app.close()
    process.exit(signal ? 0 : code ?? 1)
  })

  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
    process.on(signal, () => cli.kill(signal))
}

main().catch((error) => {
  console.error(`[playground] could not start: ${error instanceof Error ? error.message : error}`)
  process.exitCode = 1
})
