import {existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {InputError} from '../core/start-run.js';
import {GITIGNORE_LINES} from '../commands/init.js';
import {appFiles} from './app.js';
import {demoTickets} from './tickets.js';
import {DEMO_PLAN_FILE, demoPlan} from './plan-recipe.js';

export const DEMO_BATCH = 'demo';

const demoConfig = {
	batch: DEMO_BATCH,
	base: 'main',
	concurrency: 3,
	agent: {type: 'demo'},
	attempts: 3,
	attemptTimeoutSeconds: 120,
	checks: ['node --test test/'],
	verifyRetries: 1,
	verifyRetryDelaySeconds: 0.3,
	locks: ['infra'],
};

function writeTree(root: string, files: Record<string, string>): void {
	for (const [file, text] of Object.entries(files)) {
		mkdirSync(path.dirname(path.join(root, file)), {recursive: true});
		writeFileSync(path.join(root, file), text);
	}
}

/**
 * A throwaway git repo holding the textkit app and the demo batch, committed on main. With `plan`,
 * no tickets: the demo plan's recipe instead, for `proofloop plan` to write the batch from.
 */
export async function buildDemoRepo(dir?: string, opts: {plan?: boolean} = {}): Promise<string> {
	let root: string;
	if (dir) {
		root = path.resolve(dir);
		if (existsSync(root) && !statSync(root).isDirectory())
			throw new InputError(`--dir ${root} is a file, not a directory\n  fix: pass a new or empty directory`);
		if (existsSync(root) && readdirSync(root).length > 0) {
			throw new InputError(`--dir ${root} is not empty\n  fix: pass a new or empty directory`);
		}
		try {
			mkdirSync(root, {recursive: true});
		} catch (error) {
			throw new InputError(
				`--dir ${root}: cannot create it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n  fix: pass a directory you can write`,
			);
		}
	} else {
		root = mkdtempSync(path.join(tmpdir(), 'proofloop-demo-'));
	}
	const git = (...args: string[]) => execa('git', args, {cwd: root});
	await git('init', '-q', '-b', 'main');
	await git('config', 'user.name', 'proofloop demo');
	await git('config', 'user.email', 'demo@proofloop.invalid');
	writeTree(root, {...appFiles, '.gitignore': `node_modules/\n${GITIGNORE_LINES.join('\n')}\n`});
	await git('add', '-A');
	await git('commit', '-q', '-m', 'textkit: initial app');
	if (opts.plan) {
		const config = {...demoConfig, plan: {planner: {type: 'demo'}, researchers: 2}};
		writeTree(root, {'.proofloop/config.json': JSON.stringify(config, null, 2) + '\n', [DEMO_PLAN_FILE]: JSON.stringify(demoPlan, null, 2) + '\n'});
		await git('add', '-A');
		await git('commit', '-q', '-m', 'proofloop: the demo plan recipe');
		mkdirSync(path.join(root, '.proofloop', 'tickets'), {recursive: true});
		return root;
	}
	writeTree(root, {
		'.proofloop/config.json': JSON.stringify(demoConfig, null, 2) + '\n',
		...Object.fromEntries(Object.entries(demoTickets(DEMO_BATCH)).map(([name, text]) => [`.proofloop/tickets/${name}`, text])),
	});
	await git('add', '-A');
	await git('commit', '-q', '-m', 'proofloop: the demo batch');
	return root;
}
