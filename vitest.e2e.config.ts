import {defineConfig} from 'vitest/config';

// The real-CLI end-to-end tests (npm run test:e2e): real agent CLIs, installed
// on demand into .cache/agent-clis/, against a scripted loopback model server.
// Slow and heavy, so apart from `npm test`, one file at a time.
export default defineConfig({
	test: {
		include: ['test/e2e/**/*.test.ts'],
		testTimeout: 600_000,
		// beforeAll may install the CLIs (a few hundred MB from the npm registry).
		hookTimeout: 900_000,
		pool: 'forks',
		fileParallelism: false,
		maxWorkers: 1,
	},
});
