import liveAssets from 'unplugin-live-assets/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [liveAssets()],
})
