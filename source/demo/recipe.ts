/**
 * A demo recipe: the ticket's `demo` key (or a fenced ```demo block in its
 * body), one JSON action per line; blank lines and lines starting with # are
 * skipped. Each line is validated here, with a message naming what is wrong.
 */
import {z} from 'zod';

/** Ends the demo run with an error result (a bad recipe, a refused path, a `fail` action). */
export class DemoFailure extends Error {}

const attemptNumber = z.number().int().min(1);
const condition = z.string().min(1);
/** Keys any action may carry: which attempts it runs on, and whether a path must (not) exist. */
const common = {
	attempt: z.union([attemptNumber, z.array(attemptNumber).min(1)]).optional(),
	if_exists: condition.optional(),
	unless_exists: condition.optional(),
};
const aPath = z.string().min(1);

/** One schema per verb; exactly one verb per line. */
export const RecipeActions = {
	write: z.strictObject({write: aPath, content: z.string().optional(), ...common}),
	append: z.strictObject({append: aPath, content: z.string().optional(), ...common}),
	delete: z.strictObject({delete: aPath, ...common}),
	say: z.strictObject({say: z.string(), ...common}),
	sleep_ms: z.strictObject({sleep_ms: z.number().min(0), ...common}),
	fail: z.strictObject({fail: z.string(), ...common}),
	// Discovered work, filed through the engine like a real worker would.
	file: z.strictObject({file: z.object({title: z.string(), body: z.string(), blocks: z.unknown().optional()}), ...common}),
};
type Verb = keyof typeof RecipeActions;
const verbs = Object.keys(RecipeActions) as Verb[];

/** A recipe line as written (the demo batch's tickets are typed by it). */
export type RecipeLine = z.input<(typeof RecipeActions)[Verb]>;

/** `when`: the action runs only if the path exists (or is missing) in the worktree: a parked attempt resumes with the same number. */
export type ActionBody = {attempts?: number[] | undefined; when?: {path: string; exists: boolean}} & (
	| {kind: 'write' | 'append'; path: string; content: string}
	| {kind: 'delete'; path: string}
	| {kind: 'say'; text: string}
	| {kind: 'sleep'; ms: number}
	| {kind: 'fail'; message: string}
	| {kind: 'file'; title: string; body: string; blocks?: string}
);
/** An action and its line in the recipe, for error messages. */
export type Action = ActionBody & {line: number};

/** What each invalid field must be, in the order they are reported. */
const expected: Array<[string, string]> = [
	['attempt', '"attempt" must be an attempt number (1, 2, ...) or a list of them'],
	['if_exists', '"if_exists" / "unless_exists" must be a path'],
	['unless_exists', '"if_exists" / "unless_exists" must be a path'],
	['write', '"write" must be a path'],
	['append', '"append" must be a path'],
	['delete', '"delete" must be a path'],
	['say', '"say" must be a string'],
	['fail', '"fail" must be a string'],
	['sleep_ms', '"sleep_ms" must be a number of milliseconds'],
	['file', '"file" must be an object {"title": "...", "body": "...", "blocks"?: "<id>" or "self"}'],
	['content', '"content" must be a string'],
];

/** One recipe line -> an action, or a message saying what is wrong with it. */
export function parseAction(text: string): ActionBody | string {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (error) {
		return `not JSON (${(error as Error).message}): ${text}`;
	}
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'each line must be a JSON object, e.g. {"write": "path", "content": "..."}';
	const present = verbs.filter(verb => verb in raw);
	if (present.length !== 1) return `needs exactly one of ${verbs.join(', ')}${present.length > 1 ? ` (found ${present.join(', ')})` : ''}`;
	const verb = present[0]!;
	const parsed = RecipeActions[verb].safeParse(raw);
	if (!parsed.success) {
		const stray = parsed.error.issues.find(issue => issue.code === 'unrecognized_keys');
		if (stray?.code === 'unrecognized_keys') return `unknown key "${stray.keys[0]}" in a ${verb} action`;
		const fields = new Set(parsed.error.issues.map(issue => String(issue.path[0])));
		return expected.find(([field]) => fields.has(field))?.[1] ?? parsed.error.issues[0]!.message;
	}
	const line = parsed.data as Record<string, unknown> & z.infer<z.ZodObject<typeof common>>;
	const attempts = line.attempt === undefined ? undefined : Array.isArray(line.attempt) ? line.attempt : [line.attempt];
	const path = line.if_exists ?? line.unless_exists;
	const when = path === undefined ? {} : {when: {path, exists: line.if_exists !== undefined}};
	const value = line[verb];
	switch (verb) {
		case 'write':
		case 'append':
			return {kind: verb, path: value as string, content: (line['content'] as string | undefined) ?? '', attempts, ...when};
		case 'delete':
			return {kind: 'delete', path: value as string, attempts, ...when};
		case 'say':
			return {kind: 'say', text: value as string, attempts, ...when};
		case 'fail':
			return {kind: 'fail', message: value as string, attempts, ...when};
		case 'sleep_ms':
			return {kind: 'sleep', ms: value as number, attempts, ...when};
		case 'file': {
			const spec = value as {title: string; body: string; blocks?: unknown};
			return {kind: 'file', title: spec.title, body: spec.body, ...(typeof spec.blocks === 'string' ? {blocks: spec.blocks} : {}), attempts, ...when};
		}
	}
}

/** Every action of a recipe; a bad line ends the run, naming where it is. */
export function parseRecipe(recipe: string, where: (line: number) => string): Action[] {
	const actions: Action[] = [];
	recipe.split(/\r?\n/).forEach((text, index) => {
		const trimmed = text.trim();
		if (trimmed === '' || trimmed.startsWith('#')) return;
		const action = parseAction(trimmed);
		if (typeof action === 'string') throw new DemoFailure(`${where(index + 1)}: ${action}`);
		actions.push({...action, line: index + 1});
	});
	return actions;
}
