import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.{ts,tsx}', 'oracle/**/*.test.mjs'],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: 'forks',
	},
});
