import { readFileSync, realpathSync } from 'node:fs'
import path from 'node:path'

/**
 * File systems whose change events do not reach a watcher inside the machine that reads them, or not always: the
 * shares of WSL (9p, drvfs), Docker Desktop and VM bind mounts (virtiofs, fuse.grpcfuse, vboxsf), network drives
 * (nfs, cifs, smb3, sshfs). An edit made on the other side of the share sends no inotify event: only polling sees it.
 */
const UNRELIABLE = new Set(['9p', 'drvfs', 'virtiofs', 'fuse.grpcfuse', 'vboxsf', 'nfs', 'nfs4', 'cifs', 'smb3', 'fuse.sshfs'])

export interface MountPoint {
  /** Where it is mounted, e.g. `/app`. */
  mountPoint: string
  /** e.g. `ext4`, `9p`, `fuse.grpcfuse`. */
  type: string
}

/** The entries of `/proc/self/mountinfo` (see proc(5)): the mount point is field 5, the type follows the ` - `. */
export function parseMountInfo(text: string): MountPoint[] {
  const mounts: MountPoint[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-', 6)
    if (fields.length < 7 || separator === -1 || !fields[separator + 1])
      continue
    // Spaces, tabs, newlines and backslashes in paths are written as octal escapes: \040 is a space.
    const mountPoint = fields[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    mounts.push({ mountPoint, type: fields[separator + 1] })
  }
  return mounts
}

/** The mount that holds `directory`: the one with the longest mount point above it. */
export function mountOf(directory: string, mounts: MountPoint[]): MountPoint | undefined {
  const inside = (mountPoint: string): boolean => {
    const relative = path.relative(mountPoint, directory)
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
  }
  return mounts.filter(mount => inside(mount.mountPoint)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0]
}

/**
 * The file system of `directory` when its events are unreliable (see {@link UNRELIABLE}), e.g. `9p`; undefined when
 * they are not, or where the mounts cannot be read (not Linux).
 * @param directory a watched directory
 * @param mountInfo the text of `/proc/self/mountinfo`; read from the system when not given
 */
export function unreliableFileSystem(directory: string, mountInfo?: string): string | undefined {
  let text = mountInfo
  let real = directory
  try {
    text ??= readFileSync('/proc/self/mountinfo', 'utf8')
    real = realpathSync(directory)
  }
  catch {
    if (text === undefined)
      return undefined
  }
  const type = mountOf(real, parseMountInfo(text))?.type
  return type && UNRELIABLE.has(type) ? type : undefined
}
