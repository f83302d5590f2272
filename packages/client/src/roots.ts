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

export function eachRoot(visit: (root: Root) => void, doc: Document = document, depth = 0): void {
  walk(doc, visit)
  if (depth >= MAX_FRAME_DEPTH)
    return
  for (const frame of doc.querySelectorAll('iframe,frame')) {
    const child = frameDocument(frame as HTMLIFrameElement)
    if (child)
      eachRoot(visit, child, depth + 1)
  }
}

function walk(root: Root, visit: (root: Root) => void): void {
  visit(root)
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot)
      walk(el.shadowRoot, visit)
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
