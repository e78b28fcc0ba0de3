import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const TESTS = ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'scripts/**/*.ts'];

/** Reading the clock: `Clock` (libs/config) is the one place that may. */
const clockReads = (message) => [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message },
];

/** Statements written outside libs/persistence: its repositories are the one place for SQL. */
const DATA_LAYER = 'SQL and TypeORM stay in libs/persistence: add or extend a repository method.';
const dataAccess = [
  { selector: "CallExpression[callee.property.name='query']", message: DATA_LAYER },
  {
    selector:
      'CallExpression[callee.property.name=/^(createQueryBuilder|getRepository|getTreeRepository)$/]',
    message: DATA_LAYER,
  },
  { selector: "MemberExpression[property.name='manager']", message: DATA_LAYER },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The application's code reads the time through Clock and the database through the
    // repositories of libs/persistence (docs/architecture.md, "Where a change goes").
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [...TESTS, 'libs/domain/**', 'libs/persistence/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...clockReads('Read the time from the injected Clock (or systemClock outside DI).'),
        ...dataAccess,
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'typeorm', message: DATA_LAYER, allowTypeImports: true },
            { name: 'pg', message: DATA_LAYER, allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // The repositories may query, but the time still comes from Clock (or the database's now()).
    files: ['libs/persistence/**/*.ts'],
    ignores: TESTS,
    rules: {
      'no-restricted-syntax': [
        'error',
        ...clockReads('Take the time as a parameter from Clock, or use now() in the statement.'),
      ],
    },
  },
  {
    files: TESTS,
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The domain library stays pure: no framework, driver or clock.
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@nestjs/*', 'typeorm', 'bullmq', 'ioredis', 'pg', '@app/*'] },
      ],
      'no-restricted-syntax': [
        'error',
        ...clockReads('libs/domain never reads the clock: take the time as a parameter.'),
      ],
    },
  },
);
