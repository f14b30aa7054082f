/**
 * The program a simple command runs, past assignments and the wrappers that
 * run the next word (`env -u NAME`, `nice -n 10`, `timeout 30`): what the
 * preflight looks for on PATH.
 */

type Wrapper = {
	/** Options that take the next word as their value. */
	valued: readonly string[];
	/** Words after the options that are the wrapper's own (timeout's duration). */
	positional?: number;
};

const WRAPPERS: Record<string, Wrapper> = {
	env: {valued: ['-u', '--unset', '-C', '--chdir']},
	exec: {valued: ['-a']},
	command: {valued: []},
	nohup: {valued: []},
	setsid: {valued: []},
	time: {valued: ['-f', '--format', '-o', '--output']},
	nice: {valued: ['-n', '--adjustment']},
	timeout: {valued: ['-s', '--signal', '-k', '--kill-after'], positional: 1},
	xargs: {
		valued: [
			'-n',
			'-I',
			'-i',
			'-d',
			'-L',
			'-l',
			'-P',
			'-s',
			'-E',
			'-e',
			'-a',
			'--max-args',
			'--replace',
			'--delimiter',
			'--max-lines',
			'--max-procs',
			'--max-chars',
			'--eof',
			'--arg-file',
		],
	},
};

/** The program a simple command runs (assignments and wrappers skipped), and the words after it. */
export function programOf(words: readonly string[]): {program: string; args: string[]} | undefined {
	let i = 0;
	while (i < words.length) {
		const word = words[i]!;
		if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
			i++;
			continue;
		}
		const wrapper = Object.hasOwn(WRAPPERS, word) ? WRAPPERS[word] : undefined;
		if (!wrapper) break;
		i++;
		while (i < words.length && words[i]!.startsWith('-') && words[i] !== '--') i += wrapper.valued.includes(words[i]!) ? 2 : 1;
		if (words[i] === '--') i++;
		i += wrapper.positional ?? 0;
	}
	const program = words[i];
	if (program === undefined || program.includes('$') || /[<>]/.test(program)) return undefined;
	return {program, args: words.slice(i + 1)};
}
