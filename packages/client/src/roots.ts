/**
 * Every DOM tree this client looks after: the document, each open shadow root in it (nested too),
 * and the documents of same-origin child frames that do not run a client of their own (a frame
 * that does looks after itself). Closed shadow roots and cross-origin frames are out of reach.
 *
 * Elements from a frame belong to the frame's realm: compare `localName`, never `instanceof`.
 */

/** The key a window's client is stored under (see `client.ts`). */
export const INSTANCE = Symbol.for('live-assets.client')

/** Frames nested deeper than this are left alone (a bound, not a cycle guard: frames form a tree). */
const MAX_FRAME_DEPTH = 4

export type Root = Document | ShadowRoot

/**
 * Whether the document has an open shadow root or a frame: only then does {@link eachRoot} (part of the on-demand
 * extras) reach further than the document itself.
 */
export function hasOtherRoots(): boolean {
  return [...document.querySelectorAll('*')].some(el => el.shadowRoot || /^i?frame$/.test(el.localName))
}

export function eachRoot(visit: (root: Root) => void, root: Root = document, depth = 0): void {
  visit(root)
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) {
      eachRoot(visit, el.shadowRoot, depth)
    }
    // Frames inside shadow roots count too (an iframe cannot host a shadow root itself).
    else if (depth < MAX_FRAME_DEPTH && /^i?frame$/.test(el.localName)) {
      const doc = frameDocument(el as HTMLIFrameElement)
      if (doc)
        eachRoot(visit, doc, depth + 1)
    }
  }
}

/** The document of a same-origin frame without its own client; reading a cross-origin one throws. */
function frameDocument(frame: HTMLIFrameElement): Document | undefined {
  try {
    const win = frame.contentWindow as (Window & Record<symbol, unknown>) | null
    if (win && !win[INSTANCE] && win.document.readyState !== 'loading')
      return win.document
  }
  catch {}
}
