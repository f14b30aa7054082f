import {existsSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomicSync} from '../atomic-write.js';

/**
 * A run's pull writes ticket files before the run's own bad-input checks; a run
 * that then refuses to start (exit 2) writes nothing, so the caller undoes the
 * pull: each file it wrote as it was before, unless someone changed it since.
 */
export class PullGuard {
	#undo: (() => void) | undefined;
	#kept = false;
	#after: Map<string, string | undefined> | undefined;

	/** What the tracker directory and the sync state hold now, before the pull. */
	snapshot(trackerDir: string, stateFile: string): void {
		const before = stateOf(trackerDir, stateFile);
		this.#undo = () => {
			// Only what the pull wrote and nobody changed since: a file a person saved meanwhile is theirs.
			const after = this.#after;
			if (!after) return;
			const now = stateOf(trackerDir, stateFile);
			for (const [file, text] of after) {
				if (before.get(file) === text || now.get(file) !== text) continue;
				const was = before.get(file);
				if (was === undefined) rmSync(file, {force: true});
				// Atomic, with the file's own mode: a crash mid-undo leaves either text, never half of one.
				else writeFileAtomicSync(file, was, existsSync(file) ? statSync(file).mode & 0o777 : 0o644);
			}
		};
	}

	/** What the pull left, once it has written. */
	pulled(trackerDir: string, stateFile: string): void {
		this.#after = stateOf(trackerDir, stateFile);
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

/** Every ticket file's text and the sync state's, by path (undefined: absent). */
function stateOf(trackerDir: string, stateFile: string): Map<string, string | undefined> {
	const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
	const files = [...listTickets(trackerDir).map(name => path.join(trackerDir, name)), stateFile];
	return new Map(files.map(file => [file, read(file)]));
}

function listTickets(dir: string): string[] {
	try {
		return readdirSync(dir).filter(name => name.endsWith('.md'));
	} catch {
		return [];
	}
}
