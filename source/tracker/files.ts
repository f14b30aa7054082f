import {Mutex} from 'async-mutex';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {intentsDurable} from '../lib/intent-barrier.js';
import {sweepStaleTemps, writeFileAtomic} from './atomic-write.js';
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
	/** One write at a time per file; writes of different tickets go side by side. */
	readonly #writes = new Map<string, Mutex>();
	/** Where each ticket was at the last read: a write reads and replaces that one file, not the whole tracker. */
	readonly #fileOf = new Map<string, string>();
	/** A writer killed mid-write left its temp file: the first write of this process clears those of dead ones. */
	#swept = false;

	constructor(opts: {repoRoot: string; dir: string /* repo-relative, e.g. ".proofloop/tickets" */}) {
		this.#repoRoot = opts.repoRoot;
		this.location = opts.dir.replace(/\\/g, '/').replace(/\/+$/, '');
	}

	async load(): Promise<Ticket[]> {
		const files = await this.#readAll();
		const {tickets, issues} = validateTickets(files);
		if (issues.length > 0) throw new TrackerError(issues);
		for (const ticket of tickets) this.#fileOf.set(ticket.id, ticket.file);
		return tickets;
	}

	/** Updates of one file are queued: each one re-reads the file, so none is lost to a race. After the fsync of what the log holds. */
	async update(id: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket> {
		await intentsDurable();
		this.#sweep();
		const file = this.#fileOf.get(id) ?? (await this.#find(id)).file;
		return this.#lock(file).runExclusive(() => this.#update(id, file, fields, complete));
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

	async create(prepared: {file: string; text: string}): Promise<void> {
		await intentsDurable();
		this.#sweep();
		return this.#lock(prepared.file).runExclusive(() => writeFileAtomic(join(this.#repoRoot, prepared.file), prepared.text));
	}

	protectedPaths(): string[] {
		return [`${this.location}/`];
	}

	#sweep(): void {
		if (this.#swept) return;
		this.#swept = true;
		sweepStaleTemps(join(this.#repoRoot, this.location));
	}

	#lock(file: string): Mutex {
		let lock = this.#writes.get(file);
		if (!lock) this.#writes.set(file, (lock = new Mutex()));
		return lock;
	}

	/** The one file holding the ticket, by reading them all (a ticket not seen yet, or moved since the last read). */
	async #find(id: string): Promise<TicketFile> {
		const matches = (await this.#readAll()).filter(file => {
			// Cached by text: most files have not changed since the last load.
			const parsed = parseTicketCached(file);
			return (parsed.ok ? parsed.ticket.id : parsed.id) === id;
		});
		const [found] = matches;
		if (!found) throw new Error(`no ticket with id ${id} in ${this.location}`);
		if (matches.length > 1) throw new Error(`ticket id ${id} is in ${matches.map(m => m.file).join(' and ')}`);
		this.#fileOf.set(id, found.file);
		return found;
	}

	/** The file the last read found the ticket in, if it still holds it; else a search of them all. */
	async #current(id: string, file: string): Promise<TicketFile> {
		let text: string | undefined;
		try {
			text = await readFile(join(this.#repoRoot, file), 'utf8');
		} catch {
			// Moved or gone since the last read.
		}
		if (text !== undefined) {
			const parsed = parseTicketCached({file, text});
			if ((parsed.ok ? parsed.ticket.id : parsed.id) === id) return {file, text};
		}
		return this.#find(id);
	}

	async #update(id: string, file: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket> {
		const found = await this.#current(id, file);
		// Moved to another file since the last read: that one's writes are queued on its own lock.
		if (found.file !== file) return this.#lock(found.file).runExclusive(() => this.#update(id, found.file, fields, complete));
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
