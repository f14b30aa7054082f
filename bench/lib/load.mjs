// --load: one busy-looping child process per core while a bench measures, so
// its figures show the harness on a saturated machine. stop() ends exactly them.
import {spawn} from 'node:child_process';
import {availableParallelism} from 'node:os';

export function startLoad(count = availableParallelism()) {
	const children = Array.from({length: count}, () => spawn(process.execPath, ['-e', 'for (;;) {}'], {stdio: 'ignore'}));
	const stop = () => children.forEach(child => child.kill('SIGKILL'));
	process.once('exit', stop); // a bench that dies mid-way leaves no busy loop behind
	return {count, stop};
}

/** Runs `measure` under load when `argv` holds --load; the result says how many busy loops ran. */
export async function withOptionalLoad(argv, measure) {
	if (!argv.includes('--load')) return {load: 0, ...(await measure())};
	const load = startLoad();
	try {
		return {load: load.count, ...(await measure())};
	} finally {
		load.stop();
	}
}
