import { describe, expect, it } from 'vitest'
import { toErrorPayload } from '../src/core/webpack-like/compilation'

const context = '/work/app'

describe('toErrorPayload', () => {
  it('reads a webpack css-loader error: module resource, location from the message, no loader paths or colours', () => {
    const message = '\u001B[31mModule build failed (from ../../node_modules/.pnpm/css-loader@7.1.5_x/node_modules/css-loader/dist/cjs.js):\n\nSyntaxError\n\n(3:1) /work/app/src/b.css Unclosed block\n    at Object.loader (/x/node_modules/css-loader/dist/index.js:1:2)'
    const second = { message: 'Module build failed (from mini-css-extract-plugin)', module: { resource: '/work/app/src/b.css' } }
    expect(toErrorPayload([{ message, module: { resource: '/work/app/src/b.css?inline' } }, second], context, 'webpack')).toEqual({
      message: 'Module build failed (from css-loader):\n\nSyntaxError\n\n(3:1) src/b.css Unclosed block',
      file: 'src/b.css',
      line: 3,
      column: 1,
      source: 'webpack',
    })
  })

  it('reads an Rspack diagnostic: no module, the file named in the message, the drawn gutter removed', () => {
    const message = '  × Module build failed (from ../../node_modules/.pnpm/@rspack+core@2/node_modules/@rspack/core/dist/cssExtractLoader.js):\n  ╰─▶   ×\n        │ SyntaxError\n        │\n        │ (3:1) /work/app/src/b.css Unclosed block\n        │\n        │ > 3 | #b {{\n        │     | ^\n'
    expect(toErrorPayload([{ message }], context, 'rspack')).toEqual({
      message: 'Module build failed (from @rspack/core):\n\nSyntaxError\n\n(3:1) src/b.css Unclosed block\n\n> 3 | #b {{\n    | ^',
      file: 'src/b.css',
      line: 3,
      column: 1,
      source: 'rspack',
    })
  })

  it('prefers a location the error carries, and counts errors in other files', () => {
    const payload = toErrorPayload([
      { message: 'Unexpected token', module: { resource: '/work/app/src/main.js' }, loc: { start: { line: 7, column: 4 } } },
      { message: 'x', module: { resource: '/work/app/src/other.js' } },
    ], context, 'webpack')
    expect(payload).toMatchObject({ file: 'src/main.js', line: 7, column: 4 })
    expect(payload.message).toBe('Unexpected token\n\n(and errors in 1 more file)')
  })
})
