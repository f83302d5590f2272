// The esbuild options of both scripts: dev.mjs (watch and serve) and build.mjs (one plain build).
import { copyFile, mkdir } from 'node:fs/promises'

/** @type {import('esbuild').BuildOptions} */
export const options = {
  // CSS entry points: esbuild inlines sheet B's @import and writes a.css and b.css beside main.js.
  entryPoints: ['src/main.js', 'src/styles/a.css', 'src/styles/b.css'],
  bundle: true,
  outdir: 'dist',
  logLevel: 'info',
}

/**
 * Copies public/index.html into dist/ after each build and prints one line per build.
 * @type {import('esbuild').Plugin}
 */
export const page = {
  name: 'page',
  setup(build) {
    build.onEnd(async (result) => {
      await mkdir('dist', { recursive: true })
      await copyFile('public/index.html', 'dist/index.html')
      console.log(`[esbuild] build done: ${result.errors.length} errors`)
    })
  },
}
