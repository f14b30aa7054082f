import {existsSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';

/**
 * A run's pull writes ticket files before the run's own bad-input checks; a run
 * that then refuses to start (exit 2) writes nothing, so the caller undoes the
 * pull: every ticket file and the sync state as they were before it.
 */
export class PullGuard {
	#undo: (() => void) | undefined;
	#kept = false;

	/** What the tracker directory and the sync state hold now, to put back on undo(). */
	snapshot(trackerDir: string, stateFile: string): void {
		const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
		const tickets = new Map(listTickets(trackerDir).map(name => [name, read(path.join(trackerDir, name))]));
		const state = read(stateFile);
		this.#undo = () => {
			for (const name of listTickets(trackerDir)) if (!tickets.has(name)) rmSync(path.join(trackerDir, name), {force: true});
			for (const [name, text] of tickets)
				if (text !== undefined && read(path.join(trackerDir, name)) !== text) writeFileSync(path.join(trackerDir, name), text);
			if (state === undefined) rmSync(stateFile, {force: true});
			else if (read(stateFile) !== state) writeFileSync(stateFile, state);
		};
	}

	/** The run started: what the pull wrote is the run's now. */
	keep(): void {
		this.#kept = true;
	}

	/** Unless the run started: the pull's writes taken back. */
	undo(): void {
		if (!this.#kept) this.#undo?.();
		this.#undo = undefined;
	}
}

function listTickets(dir: string): string[] {
	try {
		return readdirSync(dir).filter(name => name.endsWith('.md'));
	} catch {
		return [];
	}
}
