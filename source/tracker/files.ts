import {Mutex} from 'async-mutex';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {writeFileAtomic} from './atomic-write.js';
import {setFrontMatterFields} from './front-matter-write.js';
import type {NewTicket, Ticket, TicketUpdate} from './ticket.js';
import {TrackerError, type Tracker} from './tracker.js';
import {parseTicket, parseTicketCached, validateTickets, type TicketFile} from './validate.js';

/**
 * The embedded default tracker: one Markdown file per ticket, with front
 * matter, directly in one directory. Humans edit the files; during a run the
 * engine is the only writer, one write at a time, each one atomic.
 */
export class FileTracker implements Tracker {
	readonly location: string;
	readonly #repoRoot: string;
	readonly #writes = new Mutex();

	constructor(opts: {repoRoot: string; dir: string /* repo-relative, e.g. ".proofloop/tickets" */}) {
		this.#repoRoot = opts.repoRoot;
		this.location = opts.dir.replace(/\\/g, '/').replace(/\/+$/, '');
	}

	async load(): Promise<Ticket[]> {
		const files = await this.#readAll();
		const {tickets, issues} = validateTickets(files);
		if (issues.length > 0) throw new TrackerError(issues);
		return tickets;
	}

	/** Updates are queued: each one re-reads the file, so none is lost to a race. */
	update(id: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket> {
		return this.#writes.runExclusive(() => this.#update(id, fields, complete));
	}

	async prepareCreate(ticket: NewTicket): Promise<{file: string; text: string}> {
		const file = `${this.location}/${ticket.id}.md`;
		if (existsSync(join(this.#repoRoot, file))) {
			throw new TrackerError([{file, message: `${file} already exists`, fix: 'file the ticket under another id'}]);
		}
		const {body, ...fields} = ticket;
		const text = setFrontMatterFields(`---\n---\n${body.trimEnd()}\n`, {...fields, status: 'todo'});
		const checked = parseTicket({file, text});
		if (!checked.ok) throw new TrackerError(checked.issues);
		return {file, text};
	}

	create(prepared: {file: string; text: string}): Promise<void> {
		return this.#writes.runExclusive(() => writeFileAtomic(join(this.#repoRoot, prepared.file), prepared.text));
	}

	protectedPaths(): string[] {
		return [`${this.location}/`];
	}

	async #update(id: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket> {
		const matches = (await this.#readAll()).filter(file => {
			// Cached by text: a run writes often, and most files have not changed since the last load.
			const parsed = parseTicketCached(file);
			return (parsed.ok ? parsed.ticket.id : parsed.id) === id;
		});
		const [found] = matches;
		if (!found) throw new Error(`no ticket with id ${id} in ${this.location}`);
		if (matches.length > 1) throw new Error(`ticket id ${id} is in ${matches.map(m => m.file).join(' and ')}`);
		const current = complete ? parseTicketCached(found) : undefined;
		const extra = complete && current?.ok ? complete(current.ticket) : {};
		const text = setFrontMatterFields(found.text, {...extra, ...fields});
		// Never write a ticket the next load would reject.
		const checked = parseTicket({file: found.file, text});
		if (!checked.ok) throw new TrackerError(checked.issues);
		await writeFileAtomic(join(this.#repoRoot, found.file), text);
		return checked.ticket;
	}

	// Every *.md directly in the directory, by name: the same set the oracle reads.
	// Synchronous on purpose: the engine reads the whole tracker several times
	// per settlement, and a few hundred small files read in one go cost about
	// a millisecond, where as many async stat/read round trips through libuv's
	// thread pool cost tens of milliseconds on a busy machine (measured by
	// `npm run bench -- pickup`: dispatch latency grew with the batch size).
	async #readAll(): Promise<TicketFile[]> {
		const dir = join(this.#repoRoot, this.location);
		let names: string[];
		try {
			names = readdirSync(dir)
				.filter(name => name.endsWith('.md'))
				.sort();
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
			throw new TrackerError([
				{
					file: this.location,
					message: `no ticket directory at ${this.location}`,
					fix: 'run `proofloop init` or set tracker.dir in .proofloop/config.json',
				},
			]);
		}
		const read: TicketFile[] = [];
		for (const name of names) {
			const path = join(dir, name);
			const file = `${this.location}/${name}`;
			try {
				if (!statSync(path).isFile()) continue;
				read.push({file, text: readFileSync(path, 'utf8')});
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code ?? String(error);
				throw new TrackerError([{file, message: `cannot read ${file} (${code})`, fix: 'repair or remove the file (a dangling symlink?)'}]);
			}
		}
		return read;
	}
}
