import process from 'node:process'
import { describe, expect, it } from 'vitest'
import { mountOf, parseMountInfo, unreliableFileSystem } from '../src/filesystems'

// As /proc/self/mountinfo shows them: a container on Docker Desktop (grpcfuse bind mount), WSL 2 (9p share of a
// Windows drive), a VM share (virtiofs), an NFS home, and a path with a space.
const MOUNTINFO = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
612 600 0:52 / /app rw,relatime - fuse.grpcfuse grpcfuse rw,user_id=0,group_id=0,allow_other,max_read=1048576
613 612 8:1 /var/lib/docker/volumes/x/_data /app/node_modules rw,relatime - ext4 /dev/sda1 rw
98 22 0:59 / /mnt/c rw,noatime - 9p drvfs rw,dirsync,aname=drvfs;path=C:\\;uid=1000,gid=1000
120 22 0:61 / /srv/share rw,relatime shared:40 - virtiofs myshare rw
130 22 0:62 / /home/dev rw,relatime master:3 - nfs4 server:/home/dev rw,vers=4.2
140 22 0:63 / /media/My\\040Disk rw,relatime - ext4 /dev/sdb1 rw
`

describe('file systems whose events do not come through', () => {
  it('reads mount points (octal escapes decoded) and types', () => {
    const mounts = parseMountInfo(MOUNTINFO)
    expect(mounts.map(m => `${m.mountPoint} ${m.type}`)).toEqual([
      '/ ext4',
      '/app fuse.grpcfuse',
      '/app/node_modules ext4',
      '/mnt/c 9p',
      '/srv/share virtiofs',
      '/home/dev nfs4',
      '/media/My Disk ext4',
    ])
    expect(mountOf('/app/src/styles', mounts)?.type).toBe('fuse.grpcfuse')
    expect(mountOf('/app/node_modules/pkg', mounts)?.type).toBe('ext4')
    expect(mountOf('/application', mounts)?.type).toBe('ext4')
  })

  it('names the unreliable ones, and nothing for a local disk', () => {
    expect(unreliableFileSystem('/app/src', MOUNTINFO)).toBe('fuse.grpcfuse')
    expect(unreliableFileSystem('/mnt/c/Users/dev/site/css', MOUNTINFO)).toBe('9p')
    expect(unreliableFileSystem('/srv/share/app', MOUNTINFO)).toBe('virtiofs')
    expect(unreliableFileSystem('/home/dev/project', MOUNTINFO)).toBe('nfs4')
    expect(unreliableFileSystem('/app/node_modules/x', MOUNTINFO)).toBeUndefined()
    expect(unreliableFileSystem('/tmp/project', MOUNTINFO)).toBeUndefined()
  })

  it('reads this machine\'s own mounts without failing', () => {
    expect(() => unreliableFileSystem(process.cwd())).not.toThrow()
  })
})
