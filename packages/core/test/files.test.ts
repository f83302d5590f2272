import { describe, expect, it } from 'vitest'
import { fileKind } from '../src'

describe('fileKind', () => {
  it('tells stylesheets, images, source maps and other files apart, in any case', () => {
    expect(['app.css', 'A.CSS', 'logo.png', 'photo.JPG', 'icon.svg', 'favicon.ico', 'hero.avif', 'app.css.map', 'main.js.map', 'app.js', 'page.html', 'font.woff2', 'css'].map(fileKind)).toEqual([
      'stylesheet',
      'stylesheet',
      'image',
      'image',
      'image',
      'image',
      'image',
      'sourcemap',
      'sourcemap',
      'other',
      'other',
      'other',
      'other',
    ])
  })
})
