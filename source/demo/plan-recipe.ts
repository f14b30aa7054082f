/**
 * `proofloop demo --plan`: the request the demo plans and what the demo
 * engine answers at each plan step (master, research-N, breakdown-N). The
 * first breakdown leaves a ticket without acceptance, so the readiness lint's
 * refusal and the planner's fixed round show; every ticket carries the demo
 * recipe its worker follows, so the planned batch then runs to done.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type {RecipeLine} from './recipe.js';

export const DEMO_PLAN_FILE = '.proofloop/demo-plan.json';

export const DEMO_PLAN_REQUEST =
	'textkit needs a word counter and a slug maker for its pages. Both must be tested, built on one shared word splitter, and switched on.';

const recipe = (lines: RecipeLine[]): string => lines.map(line => JSON.stringify(line)).join('\n');
const test = (body: string) => `import test from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`;

const words = recipe([
	{say: 'Adding the shared word splitter the plan builds on.'},
	{
		write: 'src/words.js',
		content: "export const words = text => text.trim().split(/\\s+/).filter(Boolean);\nexport const selfCheck = () => words(' a b ').length === 2;\n",
	},
	{
		write: 'test/words.test.js',
		content: test("import {words} from '../src/words.js';\n\ntest('splits', () => assert.deepEqual(words(' a  b '), ['a', 'b']));"),
	},
	{write: 'features/words.on', content: ''},
]);
const count = recipe([
	{
		write: 'src/count.js',
		content: "import {words} from './words.js';\n\nexport const count = text => words(text).length;\nexport const selfCheck = () => count('a b c') === 3;\n",
	},
	{write: 'test/count.test.js', content: test("import {count} from '../src/count.js';\n\ntest('counts words', () => assert.equal(count('to be or not'), 4));")},
	{write: 'features/count.on', content: ''},
]);
const slug = recipe([
	{
		write: 'src/slug.js',
		content:
			"import {words} from './words.js';\n\nexport const slug = text => words(text.toLowerCase().replace(/[^a-z0-9\\s]/g, ' ')).join('-');\n" +
			"export const selfCheck = () => slug('Hi, You!') === 'hi-you';\n",
	},
	{
		write: 'test/slug.test.js',
		content: test("import {slug} from '../src/slug.js';\n\ntest('makes slugs', () => assert.equal(slug('Ship It, Now!'), 'ship-it-now'));"),
	},
	{write: 'features/slug.on', content: ''},
]);
const endToEnd = recipe([
	{
		write: 'test/pages.test.js',
		content: test(
			"import {count} from '../src/count.js';\nimport {slug} from '../src/slug.js';\n\n" +
				"test('a page title gets its slug and its word count', () => {\n\tassert.equal(slug('Hello Big World'), 'hello-big-world');\n\tassert.equal(count('Hello Big World'), 3);\n});",
		),
	},
]);

const ticket = (key: string, title: string, file: string, deps: string[], demo: string, acceptance: string[]) => ({
	key,
	title,
	scope: `Add \`${file}\` with its test, and switch its feature flag on.`,
	acceptance,
	files: [
		{path: file, create: true},
		{path: `test/${path.basename(file, '.js')}.test.js`, create: true},
		{path: `features/${path.basename(file, '.js')}.on`, create: true},
	],
	deps,
	locks: [],
	testPlan: [`node --test test/ runs test/${path.basename(file, '.js')}.test.js`],
	size: 'S',
	labels: ['mechanical'],
	demo,
});

const breakdown = (first: boolean) => ({
	tickets: [
		ticket('words', 'A shared word splitter', 'src/words.js', [], words, ['words() returns the whitespace-separated words']),
		// Round 1 forgets the acceptance of the counter: the readiness lint refuses it.
		ticket('count', 'Count the words of a text', 'src/count.js', ['words'], count, first ? [] : ['count() returns the number of words']),
		ticket('slug', 'Make URL slugs', 'src/slug.js', ['words'], slug, ['slug() lower-cases, drops punctuation and joins words with "-"']),
	],
});

/** The recipe file the demo repo holds (the demo engine reads it in its checkout of base). */
export const demoPlan = {
	master: {
		title: 'Word counts and slugs for textkit pages',
		requirement: 'textkit can count the words of a text and make a URL slug of it, both on one shared word splitter, tested and switched on.',
		context: ['src/version.js is the only module; features/*.on switch features on (scripts/smoke.mjs)', 'tests run with node --test test/'],
		openQuestions: [],
		outOfScope: ['a command line', 'non-ASCII slugs'],
		acceptance: ['a page title gets both its slug and its word count'],
		angles: ['how a feature is switched on and checked live', 'how tests are laid out and run'],
		demo: endToEnd,
	},
	'research-1': {
		angle: 'how a feature is switched on and checked live',
		findings: [
			{
				text: 'a feature is live when features/<name>.on exists and src/<name>.js passes its selfCheck()',
				cites: ['scripts/smoke.mjs:9', 'features/version.on'],
			},
		],
	},
	'research-2': {
		angle: 'how tests are laid out and run',
		findings: [{text: 'one node:test file per module under test/, run by node --test test/', cites: ['package.json', 'test/version.test.js:1']}],
	},
	'breakdown-1': breakdown(true),
	breakdown: breakdown(false),
	review: {verdict: 'approve'},
};

/** The demo engine's answer at a plan step: the recipe's entry for the step (or for its kind: "breakdown" for breakdown-3), as JSON. */
export function demoPlanAnswer(cwd: string, step: string): string {
	const file = path.join(cwd, DEMO_PLAN_FILE);
	if (!existsSync(file)) throw new Error(`the demo engine plans only from a recipe at ${DEMO_PLAN_FILE}; run \`proofloop demo --plan\``);
	const plan = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
	const answer = plan[step] ?? plan[step.replace(/-\d+$/, '')];
	if (answer === undefined) throw new Error(`${DEMO_PLAN_FILE} has no answer for the plan step ${step}`);
	return JSON.stringify(answer);
}
