// dev.mjs: esbuild's context().watch() with the live-assets server beside it, and esbuild's serve() for the page.
import process from 'node:process'
import * as esbuild from 'esbuild'
import liveAssets from 'unplugin-live-assets/esbuild'
import { options, page } from './options.mjs'

/** The page's server: esbuild's serve() on PORT (0: any free port), or (with NO_SERVE=1) any other server of dist/. */
const port = Number(process.env.PORT ?? 8000)

async function main() {
  const context = await esbuild.context({
    ...options,
    plugins: [
      // The page comes from esbuild's server on another port: a loopback origin, accepted as it is.
      liveAssets({ port: Number(process.env.LIVE_PORT ?? 35729) }),
      page,
    ],
  })
  await context.watch()
  if (!process.env.NO_SERVE) {
    const served = await context.serve({ servedir: 'dist', host: '127.0.0.1', port })
    console.log(`\n  page: http://127.0.0.1:${served.port}/\n`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
