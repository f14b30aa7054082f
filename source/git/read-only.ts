// Git commands that only read (refs, objects, the trees of commits): they act on
// nothing an intent in the event log announces, so they need not wait for its
// fsync (intent-barrier.ts). Anything else, `status` too (it may rewrite the
// index), still waits.

const READS = new Set(['merge-base', 'diff', 'ls-tree', 'cat-file', 'rev-parse', 'show-ref', 'for-each-ref', 'rev-list']);
/** Global options that change no write into a read nor a read into a write. */
const NEUTRAL = new Set(['--no-optional-locks', '--literal-pathspecs', '--no-pager']);

/** Whether git with these arguments only reads; false for anything it does not know to be a read. */
export function readsOnly(args: readonly string[]): boolean {
	let at = 0;
	while (at < args.length) {
		const arg = args[at]!;
		if (arg === '-c') at += 2;
		else if (NEUTRAL.has(arg)) at += 1;
		else break;
	}
	const command = args[at];
	if (command === undefined || !READS.has(command)) return false;
	// A diff told to write its output to a file writes.
	return !args.slice(at + 1).some(arg => arg.startsWith('--output'));
}
