import {watch, type FSWatcher} from 'node:fs';
import type {EventLog} from './event-log.js';
import {oracleDir} from './paths.js';
import {readPinnedOracle, type PinnedOracle} from './pinned-oracle.js';

/**
 * The oracle file on disk no longer matching the run's pin, noticed mid-run:
 * dispatch stops at once and nothing more merges (running attempts are let
 * finish, unmerged). Nothing is restored by guessing: the human is told the
 * file, both hashes and the fix, once, loudly. A watch on oracle/ wakes the
 * engine the moment the file changes; every dispatch and merge asks again.
 */
export class OracleTamper {
	#found: string | undefined;
	#watcher: FSWatcher | undefined;

	constructor(
		private readonly pin: string,
		private readonly log: EventLog,
		private readonly onFound: () => void,
	) {
		try {
			this.#watcher = watch(oracleDir, {recursive: false}, () => {
				if (!this.#found) this.check();
			});
			this.#watcher.on('error', () => undefined);
			// Never what keeps the process alive (an engine that fails before its run closes nothing).
			this.#watcher.unref();
		} catch {
			// No watch here (an exotic filesystem): every dispatch and verdict still checks.
		}
	}

	/** Read and check the oracle's bytes; a mismatch is recorded (once) and stops dispatch. */
	read(): PinnedOracle {
		const oracle = readPinnedOracle(this.pin);
		if (!oracle.ok && !this.#found) {
			this.#found = oracle.message;
			this.log.append({
				type: 'warning',
				message: `TAMPER: ${oracle.message}\n  no new attempt starts and nothing merges in this run; a resume is refused until the oracle matches its pin`,
			});
			this.onFound();
		}
		return oracle;
	}

	/** Why dispatch and merges are stopped, if the oracle was found changed (re-checked while not). */
	check(): string | undefined {
		if (!this.#found) this.read();
		return this.#found;
	}

	close(): void {
		this.#watcher?.close();
	}
}
