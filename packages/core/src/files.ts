/**
 * What a changed file means for the page, by its name: a stylesheet is swapped, an image is re-fetched in place, a
 * source map is nothing the page shows.
 */

/**
 * Images the client refreshes in place (`<img>`, `srcset`, SVG `<image>`, `<video poster>`, CSS `url()`), without a
 * reload. Fonts, media and scripts are not: refreshing them in place is not done (nor tested); a `reload` glob can
 * name them.
 */
export const IMAGE_EXTENSIONS = ['apng', 'avif', 'bmp', 'gif', 'ico', 'jpeg', 'jpg', 'png', 'svg', 'webp'] as const

const STYLESHEET = /\.css$/i
const IMAGE = new RegExp(`\\.(?:${IMAGE_EXTENSIONS.join('|')})$`, 'i')
const SOURCE_MAP = /\.map$/i

export type FileKind = 'stylesheet' | 'image' | 'sourcemap' | 'other'

/** `app.css` is a stylesheet, `logo.png` an image, `app.css.map` a source map (never a second swap), `a.html` other. */
export function fileKind(file: string): FileKind {
  return STYLESHEET.test(file) ? 'stylesheet' : IMAGE.test(file) ? 'image' : SOURCE_MAP.test(file) ? 'sourcemap' : 'other'
}

export function isStylesheet(file: string): boolean {
  return fileKind(file) === 'stylesheet'
}

/** What a page uses as is from a served directory: stylesheets (swapped) and images (refreshed in place). */
export function isLiveFile(file: string): boolean {
  const kind = fileKind(file)
  return kind === 'stylesheet' || kind === 'image'
}
