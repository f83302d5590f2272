import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TMP = path.join(ROOT, 'test/.tmp')

export interface CopyOptions {
  /**
   * `link`: the copy's `node_modules` points at the playground's, so it resolves the same bundler instances and the
   * workspace's built `unplugin-live-assets`; the copy lives in `test/.tmp/`. `none`: no `node_modules` at all and a
   * copy outside the repository, for a project that must resolve nothing from the workspace (the backend playground,
   * run through the CLI as a user's app would).
   * @default 'link'
   */
  modules?: 'link' | 'none'
}

/** A private copy of `playground/<name>` that a test may edit, without the playground's build outputs. */
export async function copyPlayground(name: string, { modules = 'link' }: CopyOptions = {}): Promise<string> {
  const source = path.join(ROOT, 'playground', name)
  // In the shared temp directory the name says whose copy it is.
  const prefix = modules === 'link' ? path.join(TMP, `${name}-`) : path.join(tmpdir(), `live-assets-${name}-`)
  await mkdir(path.dirname(prefix), { recursive: true })
  const dir = await mkdtemp(prefix)
  await cp(source, dir, { recursive: true, filter: file => !/[\\/](?:node_modules|dist|\.vite)$/.test(file) })
  if (modules === 'link')
    await symlink(path.join(source, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  return dir
}

/** Removes a copy made by `copyPlayground`; nothing to do when the test failed before it had one. */
export async function removeCopy(dir: string | undefined): Promise<void> {
  if (dir)
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}
