import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.{ts,tsx}', 'oracle/**/*.test.mjs'],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: 'forks',
		// Ink draws only a final frame under CI=true; the TUI tests read live frames.
		env: {CI: 'false'},
	},
});
