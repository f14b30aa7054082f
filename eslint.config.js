// One lint for the CLI, its tests and scripts, and the dependency-free oracle;
// the CLI's own source is also checked with types (floating promises, unsafe any).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/', 'bench/results/', '.proofloop/']},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: {globals: {...globals.node}},
		linterOptions: {reportUnusedDisableDirectives: 'error'},
		rules: {
			// A catch that means "nothing to do" is common in scripts and fixtures.
			'no-empty': ['error', {allowEmptyCatch: true}],
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true}],
		},
	},
	{
		files: ['source/**/*.{ts,tsx}', 'cli.tsx'],
		extends: [tseslint.configs.recommendedTypeChecked],
		languageOptions: {parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
		rules: {
			// An async function without an await is how an interface that returns a promise is met.
			'@typescript-eslint/require-await': 'off',
		},
	},
	// The layering of ARCHITECTURE.md: the engine and below never draw, and the oracle stands alone.
	{
		files: ['source/{core,agents,process,git,tracker,lib,executor,queue}/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['react', 'react/*', 'ink', 'ink-*', '**/ui/*', '**/commands/*'],
							message: 'the engine and what it uses import no React, Ink, ui/ or commands/ (ARCHITECTURE.md)',
						},
					],
				},
			],
		},
	},
	{
		files: ['oracle/**/*.mjs'],
		ignores: ['oracle/**/*.test.mjs'],
		rules: {
			'no-restricted-imports': [
				'error',
				{patterns: [{regex: '^(?!node:)', message: 'the oracle imports only Node built-ins, as node:<name> (ARCHITECTURE.md)'}]},
			],
		},
	},
);
