/**
 * Added to every webpack or Rspack entry when no HTML plugin can take the client's `<script>` tag: inserts it once.
 * The base path comes in the request's query (`client-entry.mjs?base=/__live_assets`), the dev server's origin from
 * the bundle's public path, so a page served by another server (a backend) reaches the dev server too.
 */
import { addClient } from './add-client'

declare const __resourceQuery: string
declare const __webpack_public_path__: string

const query = new URLSearchParams(__resourceQuery.slice(1))
const base = query.get('base') ?? '/__live_assets'
// Watch mode names its standalone server; a dev server serves the bundle itself.
addClient(new URL(`${base}/client.js`, query.get('origin') ?? new URL(__webpack_public_path__ || '/', location.href)).href)
