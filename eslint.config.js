// Lint rules that keep the house as docs/architecture.md draws it: the layering of the
// parts (schemas and kit import no part; parts meet only through schemas and kit; no
// production file imports a test helper), no promise left floating, files short enough
// to read. Type information comes from tsconfig.json (TypeScript 5.9: typescript-eslint
// loads the compiler in-process).
import tseslint from 'typescript-eslint'
import stylistic from '@stylistic/eslint-plugin'

const PARTS = ['conductor', 'ambassador', 'builder', 'cfg-cli']
const TEST_FILES = ['**/*.test.ts', '**/testing/**', '**/testing.ts', '**/test-kit.ts', '**/fixtures/**', '**/plan-fixtures.ts',
  '**/integration/harness.ts', '**/integration/own-etcd.ts', '**/cli-test-support.ts', '**/lab-test-support.ts', 'test/**', 'bench/**']

/** Import patterns that reach into the given folders from anywhere. */
const into = (folders) => folders.flatMap(f => [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`, `../${f}`, `../../${f}`])
const testHelpers = ['**/test/support/*', '**/testing/*', '**/testing.js', '**/test-kit.js', '**/fixtures/*', '**/plan-fixtures.js',
  '**/cli-test-support.js', '**/lab-test-support.js', '**/integration/*']

const restrict = (folders, message, paths = []) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns: [
    { group: into(folders), message },
    { group: testHelpers, message: 'production code never imports a test helper' },
  ] }],
})
// etcd is reached through kit/ (kv.ts, election.ts, etcd-client.ts): the parts may name the
// client's type, never call etcd3 themselves.
const etcdOnlyInKit = [{ name: 'etcd3', allowTypeImports: true, message: 'etcd is reached through kit/ (kit/kv.ts, kit/election.ts); a part may import only the client\'s type' }]
const partRules = (part, paths = []) =>
  restrict([...PARTS.filter(p => p !== part), 'test'], `${part}/ meets the other parts only through schemas/ and kit/`, [...etcdOnlyInKit, ...paths])

// The conductor's one door to Docker: the engine driver (the DockerEngine interface of
// conductor/docker-engine.ts over dockerode) and the modem patch it applies. The rest of
// the conductor sees only the interface. (dokkaacfg's lab commands, bench/ and tests use
// dockerode directly.)
const DOCKER_DRIVER = ['conductor/dockerode-engine.ts', 'conductor/dockerode-create.ts', 'conductor/modem-no-redirects.ts']
const dockerOnlyInDriver = ['dockerode', 'docker-modem'].map(name => ({
  name, message: 'only the engine driver (conductor/dockerode-engine.ts) talks to Docker; use DockerEngine (conductor/docker-engine.ts)',
}))

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'builder/public/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, '@stylistic': stylistic },
    rules: {
      // The formatter: the house style, checked in CI and applied by `npm run format`.
      '@stylistic/semi': ['error', 'never'],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, ignoredNodes: ['ConditionalExpression *', 'TSUnionType', 'TSIntersectionType'] }],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 2, maxEOF: 0 }],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: ['schemas/**/*.ts'], ignores: TEST_FILES, rules: restrict([...PARTS, 'kit', 'test'], 'schemas/ is the contract: it imports no part and no kit') },
  { files: ['kit/**/*.ts'], ignores: TEST_FILES, rules: restrict([...PARTS, 'test'], 'kit/ imports only schemas/ and third-party packages') },
  ...PARTS.map(part => ({
    files: [`${part}/**/*.ts`],
    ignores: TEST_FILES,
    rules: partRules(part, part === 'conductor' ? dockerOnlyInDriver : []),
  })),
  { files: DOCKER_DRIVER, rules: partRules('conductor') },
  // Tests may be long tables of cases.
  // tap's t.test() returns a promise tap itself awaits; floating it is the idiom.
  { files: TEST_FILES, rules: { 'max-lines': 'off', '@typescript-eslint/no-floating-promises': 'off' } },
)
