import type { UserConfig } from 'tsdown'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { defineConfig } from 'tsdown'

/**
 * Budgets, minified + gzip: the classic script every page loads, the same with its debug lines (served for
 * `debug: true`), and the extras a page loads when it needs them.
 */
const BUDGET_BYTES = { 'classic': 5600, 'classic-debug': 6 * 1024, 'client-extras': 4 * 1024 }

/** Whether a build keeps the client's debug lines (see `src/log.ts`). */
const debugLines = (on: boolean): Record<string, string> => ({ __LIVE_ASSETS_DEBUG__: String(on) })

const esm: UserConfig = {
  entry: { index: 'src/index.ts' },
  platform: 'browser',
  format: 'esm',
  fixedExtension: true,
  dts: true,
  // The classic scripts are read from disk by the server, never imported: their exports are set by hand.
  exports: { customExports: { './classic': './dist/classic.js', './classic-debug': './dist/classic-debug.js', './extras': './dist/client-extras.js' } },
  // One file: a bundler that imports it splits it as it likes, and the extras stay inline (no chunk to serve).
  outputOptions: { inlineDynamicImports: true },
  define: debugLines(true),
  publint: true,
}

/** A classic script for a plain `<script src>`: one minified IIFE, within its budget. */
function classic(name: keyof typeof BUDGET_BYTES, entry: string, debug = false): UserConfig {
  const budget = BUDGET_BYTES[name]
  return {
    entry: { [name]: entry },
    define: debugLines(debug),
    platform: 'browser',
    format: 'iife',
    minify: true,
    dts: false,
    exports: false,
    outputOptions: { entryFileNames: '[name].js' },
    hooks: {
      'build:done': ({ options }) => {
        const code = readFileSync(join(options.outDir, `${name}.js`))
        const gzip = gzipSync(code, { level: 9 }).length
        const line = `[live-assets] ${name}.js size: ${code.length} B minified, ${gzip} B minified+gzip (budget ${budget} B)`
        if (gzip > budget)
          throw new Error(`${line}: over budget, shrink the client.`)
        console.info(line)
      },
    },
  }
}

export default defineConfig([
  esm,
  classic('classic', 'src/classic.ts'),
  classic('classic-debug', 'src/classic.ts', true),
  classic('client-extras', 'src/classic-extras.ts'),
])
