/**
 * Which files, served under which URL: the one glob matcher (the watcher's, and every mount's) and the
 * mapping from a file on disk to the URL path a page requests it under.
 */
import path from 'node:path'
import picomatch from 'picomatch'
import { IMAGE_EXTENSIONS, isLiveFile } from './files'

/** A directory of stylesheets and images served under a URL path: a dev server's static folder, the CLI's assets. */
export interface Mount {
  /** Absolute directory that maps to `urlBase`. */
  root: string
  urlBase: string
  /** Absolute globs or paths to hand to a watcher (`!` for exclusions). */
  watch: string[]
  /** Whether an absolute path is a stylesheet or image of this mount. */
  includes: (file: string) => boolean
}

/** What a `watch` option names: files, directories or globs, and the URL path their root is served under. */
export interface MountOptions {
  /** Relative to the `cwd` given with them, or absolute; a leading `!` excludes. */
  paths: string | string[]
  /** @default the static part of the first path, e.g. `assets` for `assets/**\/*.css` */
  root?: string
  /** @default '/' */
  urlBase?: string
}

/** One entry of a list of paths: a glob's static base and its matcher, or a plain path (everything under it). */
export interface Target {
  /** The glob base, or the plain path itself. */
  base: string
  /** Tests a path relative to `base`, POSIX separators; absent for a plain path, which takes everything under it. */
  isMatch?: (relative: string) => boolean
}

/** Skipped below a target's base, not above it: watching inside node_modules on purpose works. */
export const ALWAYS_IGNORED = new Set(['node_modules', '.git'])

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

/** The stylesheets and images that `paths` names, matched as the watcher matches them. */
export function watchMount({ paths, root, urlBase = '/' }: MountOptions, cwd: string): Mount {
  const patterns = [paths].flat()
  const include = patterns.filter(p => !p.startsWith('!'))
  const absolute = (pattern: string): string => toPosix(path.resolve(cwd, pattern))
  const named = matcher(patterns, cwd)
  return {
    root: root === undefined ? globBase(include[0] ?? '.', cwd) : path.resolve(cwd, root),
    urlBase,
    watch: patterns.map(p => p.startsWith('!') ? `!${absolute(p.slice(1))}` : absolute(p)),
    includes: file => isLiveFile(file) && named(file),
  }
}

/**
 * Whether a path is named by a list of files, directories and globs relative to `cwd` (a leading `!` excludes), as
 * the watcher matches them: dotfiles included, node_modules and .git skipped below a base.
 */
export function matcher(patterns: string | string[], cwd: string): (file: string) => boolean {
  const list = [patterns].flat()
  const targets = list.filter(p => !p.startsWith('!')).map(p => toTarget(p, cwd))
  const ignores = list.filter(p => p.startsWith('!')).map(p => toTarget(p.slice(1), cwd))
  return file => isWatched(path.resolve(cwd, file), targets, ignores)
}

/** The URLs under which pages request a changed file: one per mount that includes it. */
export function urlsOf(file: string, mounts: Mount[]): string[] {
  return mounts.filter(mount => mount.includes(file)).map(mount => fileToUrlPath(file, mount.root, mount.urlBase))
}

/**
 * `/abs/app/assets/css/a.css` with root `/abs/app/assets` and urlBase `/assets` -> `/assets/css/a.css`
 * (POSIX separators, urlBase normalised to start with `/` and have no trailing slash; files outside root map to
 * `urlBase + '/' + basename`).
 */
export function fileToUrlPath(file: string, root: string, urlBase: string): string {
  const from = toPosix(file)
  const relative = path.posix.relative(toPosix(root), from)
  const inside = relative !== '' && relative !== '..' && !relative.startsWith('../') && !path.posix.isAbsolute(relative)
  const base = `/${toPosix(urlBase)}`.replace(/\/{2,}/g, '/').replace(/\/$/, '')
  // Percent-encoded, as the page requests it: `a b.css` is `/a%20b.css` in a link's URL.
  const encoded = (inside ? relative : path.posix.basename(from)).split('/').map(encodeURIComponent).join('/')
  return `${base}/${encoded}`
}

/** The static directory part of a glob or path (picomatch.scan base), resolved against cwd: used as the default root. */
export function globBase(pattern: string, cwd: string): string {
  return path.resolve(cwd, picomatch.scan(toPosix(pattern)).base)
}

/** Whether an absolute path is named by one of `targets` and by none of `ignores`. */
export function isWatched(file: string, targets: Target[], ignores: Target[]): boolean {
  return !ignores.some(t => isUnder(t, file)) && targets.some(t => isUnder(t, file) && !hasIgnoredSegment(t.base, file))
}

export function toTarget(pattern: string, cwd: string): Target {
  const { base, glob, isGlob } = picomatch.scan(toPosix(pattern))
  const resolved = path.resolve(cwd, base)
  // `dot` so that a glob agrees with a plain directory, which reports dotfiles too
  return isGlob ? { base: resolved, isMatch: picomatch(glob, { dot: true }) } : { base: resolved }
}

export function isUnder(target: Target, file: string): boolean {
  if (!isWithin(target.base, file))
    return false
  return target.isMatch?.(toPosix(path.relative(target.base, file))) ?? true
}

export function hasIgnoredSegment(base: string, file: string): boolean {
  return path.relative(base, file).split(path.sep).some(segment => ALWAYS_IGNORED.has(segment))
}

/** `child` is `parent` or below it. */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child)
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

/** Backslashes are separators too, so that Windows paths pasted into a config work; escape glob characters with `[]`. */
export function toPosix(value: string): string {
  return value.replace(/\\/g, '/')
}
