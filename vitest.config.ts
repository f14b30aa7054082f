import {defineConfig} from 'vitest/config';

// Two projects: `npm test` runs `fast` (unit tests and the integration suites that
// take a few seconds), `npm run test:slow` runs `slow` (every other integration
// suite: real engines, kills, sandboxes). `.ci/run` runs both; `npx vitest run <file>`
// finds a file in either. A new integration suite is slow until it is listed here,
// which it should be only if it takes under about 8 s on a quiet 2-core machine.
const fastIntegration = [
	'bad-input',
	'chaos',
	'closed-output',
	'demo',
	'filing-cap',
	'first-run',
	'keda-lists',
	'limits',
	'oracle-startup',
	'outside-batch',
	'pinned-oracle',
	'redis-server',
	'signed-merges',
	'status-after-crash',
	'ticket-new',
	'tripwire-cache',
	'user-checkout',
].map(name => `test/integration/${name}.test.ts`);

export default defineConfig({
	test: {
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: 'forks',
		// Ink draws only a final frame under CI=true; the TUI tests read live frames.
		env: {CI: 'false'},
		projects: [
			{extends: true, test: {name: 'fast', include: ['test/unit/**/*.test.{ts,tsx}', 'oracle/**/*.test.mjs', ...fastIntegration]}},
			{extends: true, test: {name: 'slow', include: ['test/integration/**/*.test.{ts,tsx}'], exclude: fastIntegration}},
		],
	},
});
