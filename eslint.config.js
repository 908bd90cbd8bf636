// Lint: typescript-eslint's recommended rules, plus the "one door per external system" rule:
// only operator/src/kube/ may import @kubernetes/client-node, only operator/src/aws/ the AWS SDK.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk8s/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['operator/src/**/*.ts'],
    ignores: ['operator/src/kube/**', 'operator/src/aws/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@kubernetes/client-node'], message: 'Talk to the apiserver through operator/src/kube/ only.' },
            { group: ['@aws-sdk/*'], message: 'Talk to AWS through operator/src/aws/ only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['operator/src/api/**/*.ts', 'operator/src/render/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'process', message: 'Builders are pure: pass configuration in.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Builders are pure: pass the clock in.' },
        { object: 'Math', property: 'random', message: 'Builders are pure: no randomness.' },
      ],
    },
  },
);
