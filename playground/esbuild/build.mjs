// build.mjs: one plain build with the same plugin: it starts nothing and adds nothing.
import process from 'node:process'
import * as esbuild from 'esbuild'
import liveAssets from 'unplugin-live-assets/esbuild'
import { options, page } from './options.mjs'

esbuild.build({ ...options, outdir: process.argv[2] ?? options.outdir, plugins: [liveAssets(), page] }).catch(() => process.exit(1))
