// rsbuild.config.ts
import { defineConfig } from '@rsbuild/core'
import liveAssets from 'unplugin-live-assets/rsbuild'

export default defineConfig({
  plugins: [liveAssets()],
  source: {
    // Sheet A comes with the app (imported by main.js), sheet B (with its @import partial) as a CSS-only entry the
    // page depends on: two <link> tags.
    entry: {
      index: { import: './src/main.js', dependOn: 'theme' },
      theme: { import: './src/styles/b.css', html: false },
    },
  },
  html: { template: './src/index.html' },
  dev: {
    // Stylesheets are swapped by live-assets: with `hmr` on, Rsbuild's HMR would swap the bundled ones itself, and
    // `liveReload` would reload the page after every build. Reload by hand after editing JavaScript.
    hmr: false,
    liveReload: false,
  },
  server: {
    // With `dev.hmr` or `dev.liveReload` on, a change in public/ reloads the page; live-assets keeps its stylesheets
    // and images out of that reload and swaps them in place.
    publicDir: { watch: true },
  },
})
