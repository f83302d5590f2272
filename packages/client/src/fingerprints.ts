/**
 * Fingerprinted sheets (part of the on-demand extras). A fingerprinted sheet (`app-1a2b3c4d.css`) gets a new name with
 * its new content, and the old one may answer 404 (Propshaft in development): the page as the server renders it now
 * names the new URL (Hotwire Spark's way, for any backend). The new sheet brings the new URLs of what it imports.
 */
import type { SwapJob } from './match'
import type { Owner } from './sheets'
import { unversioned } from './url'

/** Points the fingerprinted `jobs` at the URLs the page's HTML names now. */
export async function followFingerprints(jobs: SwapJob<Owner>[], log?: (message: string) => void): Promise<void> {
  // A link's own URL; an imported partial matched it through the link that imports it.
  const own = (job: SwapJob<Owner>): string | undefined => job.url ?? ('localName' in job.owner && job.owner.localName === 'link' ? (job.owner as HTMLLinkElement).href : undefined)
  if (!jobs.some(job => job.fingerprinted && own(job)))
    return
  const current = new Map<string, string>()
  try {
    const html = await (await fetch(location.href, { cache: 'no-store', headers: { Accept: 'text/html' } })).text()
    for (const link of new DOMParser().parseFromString(html, 'text/html').querySelectorAll('link[rel~="stylesheet" i][href]')) {
      const url = new URL(link.getAttribute('href')!, location.href)
      current.set(unversioned(url), url.href)
    }
  }
  catch (error) {
    log?.(`could not read the page for the new names of fingerprinted stylesheets: ${(error as Error).message}`)
  }
  for (const job of jobs) {
    const url = job.fingerprinted && own(job)
    const href = url ? current.get(unversioned(new URL(url))) : undefined
    if (href) {
      job.href = href
      job.imports = []
    }
  }
}
