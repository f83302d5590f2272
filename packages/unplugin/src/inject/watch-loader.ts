/**
 * Prepended to the entry bundles of a watch-mode build (Rollup, Rolldown, esbuild): adds the standalone server's
 * client to the page. Built minified to one line, so that prepending it moves no source-mapped line; the plugin
 * replaces the identifier below with the client's URL as JSON, so it must survive minifying as is.
 */
import { addClient } from './add-client'

declare const __LIVE_ASSETS_CLIENT_URL__: string

addClient(__LIVE_ASSETS_CLIENT_URL__)
