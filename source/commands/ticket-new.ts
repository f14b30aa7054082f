import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import {InputError} from '../core/input-error.js';

const list = (value: string): string[] =>
	value
		.split(',')
		.map(item => item.trim())
		.filter(Boolean);
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

type Options = {
	id?: string;
	title?: string;
	batch?: string;
	deps?: string[];
	locks?: string[];
	priority?: string;
	check?: string[];
	verify?: string[];
	allow?: string[];
	labels?: string[];
	size?: string;
	engine?: string;
};

/** `proofloop ticket new`: a person's scaffold of a ticket file, every field with its comment. Writes one file or nothing. */
async function newTicket(cwd: string, opts: Options): Promise<string> {
	// Loaded here, not at the top: `proofloop ticket` is also what workers call inside a busy run.
	const [{openRepo}, {loadProjectConfig, CONFIG_PATH}, {runProcessAncestry}, {scaffoldTicket, nextTicketId}, {validateTickets}] = await Promise.all([
		import('../git/index.js'),
		import('../core/config.js'),
		import('../core/offline-verbs.js'),
		import('../tracker/scaffold.js'),
		import('../tracker/validate.js'),
	]);
	const inside = runProcessAncestry();
	if (inside)
		throw new InputError(
			`refused: this process runs inside a proofloop run (${inside}); a worker files work with \`proofloop ticket file\`\n  fix: run it from your own shell`,
		);
	const repo = await openRepo(cwd);
	const config = loadProjectConfig(repo.root);
	const dir = path.join(repo.root, config.tracker.dir);
	if (!existsSync(dir))
		throw new InputError(`no ticket directory at ${config.tracker.dir}\n  fix: run \`proofloop init\`, or set tracker.dir in ${CONFIG_PATH}`);
	const files = readdirSync(dir)
		.filter(name => name.endsWith('.md'))
		.map(name => ({file: `${config.tracker.dir}/${name}`, text: readFileSync(path.join(dir, name), 'utf8')}));
	const existing = validateTickets(files).tickets;
	const id = opts.id ?? nextTicketId(existing.map(t => t.id));
	const file = `${config.tracker.dir}/${id}.md`;
	if (existsSync(path.join(repo.root, file))) throw new InputError(`${file} already exists\n  fix: choose another --id, or edit that file`);
	// A profile the config lacks would stop the next run: refused here, where it is typed.
	if (opts.engine !== undefined && config.engines[opts.engine] === undefined) {
		const {knownProfiles} = await import('../core/engines-config.js');
		throw new InputError(
			`--engine ${opts.engine}: ${CONFIG_PATH} defines no such engine profile (${knownProfiles(config)})\n  fix: name one of them, or define it in "engines"`,
		);
	}
	const priority = opts.priority === undefined ? undefined : Number(opts.priority);
	let text: string;
	try {
		text = scaffoldTicket({
			id,
			title: opts.title ?? 'Describe the change in one line',
			batch: opts.batch ?? config.batch,
			deps: opts.deps ?? [],
			locks: opts.locks ?? [],
			...(priority === undefined ? {} : {priority}),
			...(opts.check ? {checks: opts.check} : {}),
			...(opts.verify ? {verify: opts.verify} : {}),
			allow: opts.allow ?? [],
			labels: opts.labels ?? [],
			...(opts.size === undefined ? {} : {size: opts.size}),
			...(opts.engine === undefined ? {} : {engine: opts.engine}),
		});
	} catch (error) {
		throw new InputError(`${(error as Error).message}\n  fix: correct that value`);
	}
	// Checked with the rest of the tracker (its id unique, its deps known) before anything is written.
	const issues = validateTickets([...files, {file, text}]).issues.filter(issue => issue.file === file);
	if (issues.length > 0) {
		throw new InputError(`the new ticket would not read:\n${issues.map(i => `  ${i.message}\n  fix: ${i.fix}`).join('\n')}`);
	}
	writeFileSync(path.join(repo.root, file), text, {flag: 'wx'});
	return file;
}

export function registerTicketNew(ticket: Command): void {
	ticket
		.command('new')
		.description('for a person: scaffold a ticket file in the tracker, every field with a one-line comment (the next T-<n> unless --id)')
		.option('--id <id>', 'the ticket id (default: the next free T-<n>)')
		.option('--title <text>', 'one line')
		.option('--batch <name>', 'the batch (default: the config\'s "batch")')
		.option('--deps <ids>', 'comma-separated ids it waits for', list)
		.option('--locks <names>', 'comma-separated locks it holds (e.g. infra)', list)
		.option('--priority <n>', '0 (first) .. 4')
		.option('--check <command>', 'a finish-line command (repeatable; default: the config\'s "checks")', collect)
		.option('--verify <command>', 'a live verification command (repeatable; default: the config\'s "verify")', collect)
		.option('--allow <paths>', 'comma-separated protected paths this ticket may change', list)
		.option('--labels <words>', 'comma-separated labels routing rules match on (e.g. mechanical)', list)
		.option('--size <estimate>', 'XS | S | M | L | XL: the size estimate routing rules may match on')
		.option('--engine <profile>', 'an engine profile of the config\'s "engines" that runs every attempt')
		.action(async (opts: Options) => {
			try {
				const file = await newTicket(process.cwd(), opts);
				process.stdout.write(`wrote ${file}\nnext: edit it (scope, acceptance, test plan), then \`proofloop run\`\n`);
			} catch (error) {
				const {reportError} = await import('./errors.js');
				process.exitCode = reportError(error);
			}
		});
}
