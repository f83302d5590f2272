import { describe, expect, it } from 'vitest'
import { CSS_URL, SRCSET, urlSpans, WHOLE } from '../src/assets'

const urls = (text: string, pattern: RegExp): string[] => urlSpans(text, pattern).map(([start, end]) => text.slice(start, end))

describe('urlSpans', () => {
  it('takes a whole attribute without the spaces around it', () => {
    expect(urls(' /img/a.png ', WHOLE)).toEqual(['/img/a.png'])
    expect(urls('a b.png', WHOLE)).toEqual(['a b.png'])
  })

  it('finds each srcset candidate, with or without descriptors, commas inside a URL kept', () => {
    expect(urls('a.png 1x, b.png 2x', SRCSET)).toEqual(['a.png', 'b.png'])
    expect(urls('a.png 100w,b.png 200w', SRCSET)).toEqual(['a.png', 'b.png'])
    expect(urls(' a.png, b.png,', SRCSET)).toEqual(['a.png', 'b.png'])
    expect(urls('/i/x,y.png 1x', SRCSET)).toEqual(['/i/x,y.png'])
  })

  it('finds url() quoted either way or not at all, and nothing else', () => {
    expect(urls('url("a.png"), url( \'b c.png\' ) no-repeat, url(d.png?x=1#h), url(), url("")', CSS_URL)).toEqual(['a.png', 'b c.png', 'd.png?x=1#h'])
    expect(urls('image-set("a.png" 1x) red', CSS_URL)).toEqual([])
  })
})
