/**
 * The on-demand part of the client: what few pages need, loaded the first time one does (see `client.ts`), so that
 * every page loads only the small rest. The classic build serves it at `<base>/client-extras.js`; the ES module build
 * imports it dynamically.
 */
export { reloadAssets } from './assets'
export { fetchSheet } from './constructed'
export { followFingerprints } from './fingerprints'
export { hideOverlay, showOverlay } from './overlay'
export { bustImports, preloadPartials } from './partials'
export { sayRefused } from './refusal'
export { eachRoot } from './roots'
export { renamedUrl } from './url'

export type Extras = typeof import('./extras')
