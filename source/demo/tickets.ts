// The demo batch: a chain, a diamond, two tickets sharing the infra lock, one
// whose checks fail on its first attempt and one whose live verification fails
// after its first merge (the activation gap), fixed by the next attempt.

import type {RecipeLine} from './recipe.js';

/** One line of a ticket's demo recipe, as the demo engine validates it. */
type Action = RecipeLine;

type DemoTicket = {
	id: string;
	title: string;
	deps?: string[];
	locks?: string[];
	verify: string[];
	priority?: number;
	body: string;
	recipe: Action[];
};

const test = (name: string, body: string) => `import test from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`.replace('__NAME__', name);

const feature = (name: string): Action => ({write: `features/${name}.on`, content: ''});

// The work T-9's worker discovers mid-run and files as a ticket of its own
// (its recipe travels in the body, as a fenced demo block).
const statsRecipe: Action[] = [
	{
		write: 'src/stats.js',
		content:
			"import {words} from './words.js';\n\nexport const stats = text => {\n\tconst all = words(text.toLowerCase());\n\treturn {words: all.length, unique: " +
			"new Set(all).size};\n};\nexport const selfCheck = () => stats('a b A').unique === 2;\n",
	},
	{
		write: 'test/stats.test.js',
		content: test(
			'stats',
			"import {stats} from '../src/stats.js';\n\ntest('counts words and distinct words', () => assert.deepEqual(stats('to be or not to be'), {words: 6, " +
				'unique: 4}));',
		),
	},
];
const statsBody = [
	'Add `src/stats.js` exporting `stats(text)` = `{words, unique}`, built on `words()`.',
	"Filed by T-9's worker: the report cannot be finished without it.",
	'',
	'```demo',
	...statsRecipe.map(action => JSON.stringify(action)),
	'```',
].join('\n');

const tickets: DemoTicket[] = [
	{
		id: 'T-1',
		title: 'Split text into words',
		verify: ['node scripts/smoke.mjs words'],
		body: 'Add `src/words.js` exporting `words(text)`: the whitespace-separated words of a string. Everything else builds on it.',
		recipe: [
			{say: 'Reading the ticket: words() is the base of the other helpers.'},
			{
				write: 'src/words.js',
				content: "export const words = text => text.trim().split(/\\s+/).filter(Boolean);\nexport const selfCheck = () => words('  a  b ').length === 2;\n",
			},
			{
				write: 'test/words.test.js',
				content: test(
					'words',
					"import {words} from '../src/words.js';\n\ntest('splits on whitespace', () => assert.deepEqual(words(' to be  or '), ['to', 'be', 'or']));",
				),
			},
			feature('words'),
		],
	},
	{
		id: 'T-2',
		title: 'Title-case a phrase',
		deps: ['T-1'],
		verify: ['node scripts/smoke.mjs title'],
		body: 'Add `src/title.js` exporting `titleCase(text)`, built on `words()`.',
		recipe: [
			{
				write: 'src/title.js',
				content:
					"import {words} from './words.js';\n\nexport const titleCase = text => words(text).map(w => w[0].toUpperCase() " +
					"+ w.slice(1).toLowerCase()).join(' ');\nexport const selfCheck = () => titleCase('hello WORLD') === 'Hello World';\n",
			},
			{
				write: 'test/title.test.js',
				content: test(
					'title',
					"import {titleCase} from '../src/title.js';\n\ntest('title-cases', () => assert.equal(titleCase('the quick fox'), 'The Quick Fox'));",
				),
			},
			feature('title'),
		],
	},
	{
		id: 'T-3',
		title: 'A command line for titleCase',
		deps: ['T-2'],
		verify: ['node scripts/smoke.mjs cli'],
		body: 'Add `src/cli.js`: `node src/cli.js some words` prints them title-cased.',
		recipe: [
			{
				write: 'src/cli.js',
				content:
					"import {titleCase} from './title.js';\n\nexport const run = args => titleCase(args.join(' '));\nexport const selfCheck = () => run(['a', 'b']) " +
					"=== 'A B';\nif (import.meta.url === `file://${process.argv[1]}`) console.log(run(process.argv.slice(2)));\n",
			},
			{
				write: 'test/cli.test.js',
				content: test(
					'cli',
					"import {run} from '../src/cli.js';\n\ntest('joins and title-cases its arguments', () => assert.equal(run(['ship', 'it']), 'Ship It'));",
				),
			},
			feature('cli'),
		],
	},
	{
		id: 'T-4',
		title: 'Slugify titles for URLs',
		deps: ['T-1'],
		verify: ['node scripts/smoke.mjs slugify'],
		body: 'Add `src/slugify.js` exporting `slugify(text)`, and switch the feature on: it is shipped only when `node scripts/smoke.mjs slugify` passes on main.',
		recipe: [
			{
				write: 'src/slugify.js',
				content:
					"import {words} from './words.js';\n\nexport const slugify = text => words(text.toLowerCase().replace(/[^a-z0-9\\s]/g, " +
					"' ')).join('-');\nexport const selfCheck = () => slugify('Hello, World!') === 'hello-world';\n",
			},
			{
				write: 'test/slugify.test.js',
				content: test(
					'slugify',
					"import {slugify} from '../src/slugify.js';\n\ntest('makes url slugs', () => assert.equal(slugify('Ship It, Now!'), 'ship-it-now'));",
				),
			},
			// Attempt 1 forgets the flag: merged, checks green, and not live. Attempt 2 reads why and activates it.
			{attempt: 2, say: 'The last attempt merged but verification said the feature is not switched on. Switching it on.'},
			{attempt: 2, ...feature('slugify')},
		],
	},
	{
		id: 'T-5',
		title: 'Truncate long text with an ellipsis',
		deps: ['T-1'],
		verify: ['node scripts/smoke.mjs truncate'],
		body: 'Add `src/truncate.js` exporting `truncate(text, max)`: at most `max` characters, ending in `…` when cut.',
		recipe: [
			// Attempt 1 has an off-by-one the checks catch; attempt 2 fixes it from the failure it is shown.
			{
				attempt: 1,
				write: 'src/truncate.js',
				content:
					"export const truncate = (text, max) => (text.length <= max ? text : text.slice(0, max) + '…');\nexport const selfCheck = () => truncate('abcdef', " +
					'4).length === 4;\n',
			},
			{attempt: 2, say: 'The checks said the result is one character too long. Fixing the off-by-one.'},
			{
				attempt: 2,
				write: 'src/truncate.js',
				content:
					"export const truncate = (text, max) => (text.length <= max ? text : text.slice(0, max - 1) + '…');\nexport const selfCheck = () " +
					"=> truncate('abcdef', 4).length === 4;\n",
			},
			{
				write: 'test/truncate.test.js',
				content: test(
					'truncate',
					"import {truncate} from '../src/truncate.js';\n\ntest('never longer than max', () => assert.equal(truncate('hello world', 6), " +
						"'hello…'));\ntest('short text untouched', () => assert.equal(truncate('hi', 6), 'hi'));",
				),
			},
			feature('truncate'),
		],
	},
	{
		id: 'T-6',
		title: 'Summaries: a slug and a short teaser',
		deps: ['T-4', 'T-5'],
		verify: ['node scripts/smoke.mjs summary'],
		body: 'Add `src/summary.js` exporting `summary(text)` = `{slug, teaser}` using slugify and truncate.',
		recipe: [
			{
				write: 'src/summary.js',
				content:
					"import {slugify} from './slugify.js';\nimport {truncate} from './truncate.js';\n\nexport const summary = text => ({slug: slugify(text), teaser: " +
					"truncate(text, 12)});\nexport const selfCheck = () => summary('Hello there, world').slug === 'hello-there-world';\n",
			},
			{
				write: 'test/summary.test.js',
				content: test(
					'summary',
					"import {summary} from '../src/summary.js';\n\ntest('slug and teaser', () => assert.deepEqual(summary('Proof loops ship work'), {slug: " +
						"'proof-loops-ship-work', teaser: 'Proof loops…'}));",
				),
			},
			feature('summary'),
		],
	},
	{
		id: 'T-7',
		title: 'Provision the metrics bucket',
		locks: ['infra'],
		verify: ['node scripts/infra-check.mjs metrics-bucket'],
		body: 'Apply `infra/metrics-bucket.json`. Infra applies share the `infra` lock: never two at once.',
		recipe: [
			{say: 'Applying infrastructure: holding the infra lock.'},
			{sleep_ms: 400},
			{write: 'infra/metrics-bucket.json', content: JSON.stringify({resource: 'bucket', name: 'metrics', applied: true}, null, 2) + '\n'},
		],
	},
	{
		id: 'T-8',
		title: "Grant the metrics writer role to the job's service account",
		locks: ['infra'],
		verify: ['node scripts/infra-check.mjs writer-role'],
		body: 'Apply `infra/writer-role.json`. Shares the `infra` lock with T-7.',
		recipe: [
			{say: 'Applying infrastructure: holding the infra lock.'},
			{sleep_ms: 400},
			{write: 'infra/writer-role.json', content: JSON.stringify({resource: 'role-binding', role: 'metrics.writer', applied: true}, null, 2) + '\n'},
		],
	},
	{
		id: 'T-9',
		title: 'A word-statistics report',
		deps: ['T-1'],
		verify: ['node scripts/smoke.mjs report'],
		body: 'Add `src/report.js` exporting `report(text)`: "N words, M unique". (Nobody has written the statistics it needs yet.)',
		recipe: [
			{
				unless_exists: 'src/report.js',
				write: 'src/report.js',
				content:
					"import {stats} from './stats.js';\n\nexport const report = text => {\n\tconst {words, unique} = stats(text);\n\treturn `${words} words, " +
					"${unique} unique`;\n};\nexport const selfCheck = () => report('a b a') === '3 words, 2 unique';\n",
			},
			{
				unless_exists: 'src/report.js',
				say: 'report.js needs a word-statistics module that nobody has built: filing it as its own ticket, blocking this one until it is done.',
			},
			{unless_exists: 'src/report.js', file: {title: 'Word statistics module', body: statsBody, blocks: 'self'}},
			{if_exists: 'src/report.js', say: 'The statistics module is on main now; finishing the report on the same branch.'},
			{
				if_exists: 'src/report.js',
				write: 'test/report.test.js',
				content: test(
					'report',
					"import {report} from '../src/report.js';\n\ntest('reports words and unique words', () => assert.equal(report('to be or not to be'), '6 words, " +
						"4 unique'));",
				),
			},
			{if_exists: 'src/report.js', ...feature('report')},
		],
	},
];

const list = (items: string[] = []) => `[${items.join(', ')}]`;

function render(t: DemoTicket, batch: string): string {
	return [
		'---',
		`id: ${t.id}`,
		`title: ${JSON.stringify(t.title)}`,
		'status: todo',
		`batch: ${batch}`,
		`deps: ${list(t.deps)}`,
		`locks: ${list(t.locks)}`,
		`verify: [${t.verify.map(v => JSON.stringify(v)).join(', ')}]`,
		'demo: |',
		...t.recipe.map(action => `  ${JSON.stringify(action)}`),
		'---',
		t.body,
		'',
	].join('\n');
}

/** Ticket files of the demo batch, by file name. */
export function demoTickets(batch: string): Record<string, string> {
	return Object.fromEntries(tickets.map(t => [`${t.id}.md`, render(t, batch)]));
}
