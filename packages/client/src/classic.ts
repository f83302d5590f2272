/**
 * The classic-script build, for a plain `<script src>` tag. The server replaces the identifier below
 * with the JSON config when it serves the file, so it must survive bundling and minifying as is.
 */
import type { ClientConfig } from '../../core/src/protocol'
import { startClient } from './client'

declare const __LIVE_ASSETS_CONFIG__: ClientConfig

startClient(__LIVE_ASSETS_CONFIG__, (document.currentScript as HTMLScriptElement | null)?.src)
