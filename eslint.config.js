import antfu from '@antfu/eslint-config'

export default antfu(
  {
    type: 'lib',
    ignores: ['**/dist/**', '**/fixtures/**', 'playground/*/public/**'],
  },
  {
    // Tests and benchmarks report their figures on the console; the logger is where console output belongs.
    files: ['**/test/**', 'test/**', 'packages/core/src/logger.ts', 'playground/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Catalogs align the bundler versions that several packages share; a one-off tool keeps its plain range.
    rules: { 'pnpm/json-enforce-catalog': 'off' },
  },
)
