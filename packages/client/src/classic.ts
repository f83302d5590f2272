/**
 * The classic-script build, for a plain `<script src>` tag. The server replaces the identifier below
 * with the JSON config when it serves the file, so it must survive bundling and minifying as is.
 */
import type { ClientConfig } from '@live-assets/protocol'
import { startClient } from './client'
import { loadExtrasScript } from './extras-script'
import { runWorker } from './hub'

declare const __LIVE_ASSETS_CONFIG__: ClientConfig

const config = __LIVE_ASSETS_CONFIG__

// The same script is the shared worker that holds the one connection of every tab (see hub.ts).
if (typeof document === 'undefined')
  runWorker(config)
else
  startClient(config, (document.currentScript as HTMLScriptElement | null)?.src, loadExtrasScript)
