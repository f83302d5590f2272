// @ts-check
/**
 * The asset pipeline of the backend playground, shared with the stand-in backends of test/backend/recipes.test.ts:
 * fingerprinted names as Propshaft and Sprockets give them, or a `?v=` version.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * How the asset pipeline names a stylesheet in the URLs it renders:
 * - `propshaft`: `app-<8 hex>.css` (Rails 8's default), answering 404 for a digest that is no longer the file's, as
 *   Propshaft does in development;
 * - `sprockets`: `app-<64 hex>.css` (Sprockets), also 404 for an old digest;
 * - `query`: `app.css?v=<8 hex>` (Laravel Mix's `?id=`, Django's ManifestStaticFilesStorage-style versions), any
 *   version answered.
 * The digest covers the content after the `url()` references in it were rewritten to their own digested names, so
 * a changed partial changes the name of the sheet that imports it too, as with Propshaft.
 * @typedef {'propshaft' | 'sprockets' | 'query'} Fingerprint
 */

/**
 * A stylesheet as the pipeline serves it: its `url()` references rewritten to their digested names, and its own
 * name with the digest of that content.
 * @param {string} assets the assets folder
 * @param {string} name e.g. `partials/theme.css`
 * @param {Fingerprint} fingerprint
 * @returns {Promise<{ name: string, content: string }>} e.g. `partials/theme-1a2b3c4d.css` and its content
 */
export async function compiled(assets, name, fingerprint) {
  const source = await readFile(path.join(assets, name), 'utf8')
  const content = await replaceAsync(source, /url\(\s*(["']?)([^"')\s]+\.css)\1\s*\)/g, async (_, quote, reference) => {
    const target = path.posix.join(path.posix.dirname(name), reference)
    const digested = (await compiled(assets, target, fingerprint)).name
    return `url(${quote}${path.posix.relative(path.posix.dirname(name), digested).replace(/^(?!\.)/, './')}${quote})`
  })
  const digest = createHash(fingerprint === 'sprockets' ? 'sha256' : 'sha1').update(content).digest('hex').slice(0, fingerprint === 'sprockets' ? 64 : 8)
  return { name: fingerprint === 'query' ? `${name}?v=${digest}` : name.replace(/\.css$/, `-${digest}.css`), content }
}

/**
 * @param {string} requested e.g. `partials/theme-1a2b3c4d.css`
 * @returns {string} the name on disk, e.g. `partials/theme.css`
 */
export function undigested(requested) {
  return requested.replace(/-[\da-f]{8,64}(?=\.css$)/, '')
}

/**
 * @param {string} text
 * @param {RegExp} pattern a global pattern
 * @param {(...match: string[]) => Promise<string>} replace
 * @returns {Promise<string>} `text` with every match replaced
 */
export async function replaceAsync(text, pattern, replace) {
  const parts = await Promise.all([...text.matchAll(pattern)].map(match => replace(...match)))
  let i = 0
  return text.replace(pattern, () => parts[i++])
}
