import type { UserConfig } from 'tsdown'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { defineConfig } from 'tsdown'

/** Budget of the classic script, minified + gzip. */
const BUDGET_BYTES = 8 * 1024

const esm: UserConfig = {
  entry: { index: 'src/index.ts' },
  platform: 'browser',
  format: 'esm',
  fixedExtension: true,
  dts: true,
  // The classic script is read from disk by the server, never imported: its export is set by hand.
  exports: { customExports: { './classic': './dist/classic.js' } },
  publint: true,
}

const classic: UserConfig = {
  entry: { classic: 'src/classic.ts' },
  platform: 'browser',
  format: 'iife',
  minify: true,
  dts: false,
  exports: false,
  outputOptions: { entryFileNames: '[name].js' },
  hooks: {
    'build:done': ({ options }) => {
      const code = readFileSync(join(options.outDir, 'classic.js'))
      const gzip = gzipSync(code, { level: 9 }).length
      const line = `[live-assets] client size: ${code.length} B minified, ${gzip} B minified+gzip (budget ${BUDGET_BYTES} B)`
      if (gzip > BUDGET_BYTES)
        throw new Error(`${line}: over budget, shrink the client.`)
      console.info(line)
    },
  },
}

export default defineConfig([esm, classic])
