import type { ResolvedWatch } from './options'
import path from 'node:path'
import { fileKind, fileToUrlPath, globBase, IMAGE_EXTENSIONS } from '@live-assets/core'
import picomatch from 'picomatch'

/** A directory of stylesheets and images the dev server (or a backend) serves under a URL path. */
export interface Mount {
  /** Absolute directory that maps to `urlBase`. */
  root: string
  urlBase: string
  /** Absolute globs or paths to hand to a watcher. */
  watch: string[]
  /** Whether an absolute path belongs to this mount. */
  includes: (file: string) => boolean
}

export function isStylesheet(file: string): boolean {
  return fileKind(file) === 'stylesheet'
}

/** What a page uses as is from a served directory: stylesheets (swapped) and images (refreshed in place). */
export function isLiveFile(file: string): boolean {
  const kind = fileKind(file)
  return kind === 'stylesheet' || kind === 'image'
}

/** Every stylesheet and image under `directory`, requested under `urlBase` (Vite's `publicDir`, a dev server's `static`). */
export function directoryMount(directory: string, urlBase: string): Mount {
  const root = path.resolve(directory)
  return {
    root,
    urlBase,
    watch: [`${toPosix(root)}/**/*.{css,${IMAGE_EXTENSIONS.join(',')}}`],
    includes: file => isLiveFile(file) && isWithin(root, file),
  }
}

/** The stylesheets and images the `watch` option names, resolved against the project root. */
export function watchMount(watch: ResolvedWatch, cwd: string): Mount {
  const absolute = (pattern: string): string => toPosix(path.resolve(cwd, pattern))
  const include = watch.paths.filter(p => !p.startsWith('!'))
  const exclude = watch.paths.filter(p => p.startsWith('!')).map(p => absolute(p.slice(1)))
  // A plain path names a file or everything under a directory, as it does for the core's watcher.
  const patterns = include.flatMap(p => picomatch.scan(toPosix(p)).isGlob ? [absolute(p)] : [absolute(p), `${absolute(p)}/**`])
  const matches = picomatch(patterns, { dot: true, ignore: exclude.flatMap(p => [p, `${p}/**`]) })
  return {
    root: watch.root === undefined ? globBase(include[0], cwd) : path.resolve(cwd, watch.root),
    urlBase: watch.urlBase,
    watch: [...include.map(absolute), ...exclude.map(p => `!${p}`)],
    includes: file => isLiveFile(file) && matches(toPosix(path.resolve(file))),
  }
}

/** The URLs under which pages request a changed file: one per mount that includes it. */
export function urlsOf(file: string, mounts: Mount[]): string[] {
  return mounts.filter(mount => mount.includes(file)).map(mount => fileToUrlPath(file, mount.root, mount.urlBase))
}

export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child)
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)
}

function toPosix(file: string): string {
  return file.replace(/\\/g, '/')
}
