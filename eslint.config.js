import antfu from '@antfu/eslint-config'

export default antfu({
  type: 'lib',
  ignores: ['**/dist/**', 'playground/*/public/**', '**/fixtures/**'],
})
