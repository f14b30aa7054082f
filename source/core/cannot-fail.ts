/**
 * A finish-line command whose status is 0 whatever it runs proves nothing: a
 * no-op, an echo, an exit 0, or a command ending in `|| true`, `; exit 0`,
 * `| cat`. A heuristic for the obvious class, read with a shell tokenizer
 * (shell-quote) so quotes cannot hide an operator; the test counts of
 * check-results.ts catch a runner that ends early.
 */
import {parse, type ParseEntry} from 'shell-quote';

// A no-op once unquoted: true, :, exit 0, an echo or printf, a `cat`/`tee` a pipe ends in, `node -e 0`, `python -c pass`.
const NO_OP =
	/^(?:! false|true|:|\/(?:usr\/)?bin\/true|exit 0|echo\b.*|printf\b.*|cat|tee\b.*|node (?:-e|--eval)(?: (?:0|1|process\.exit\(0?\)))?|python3? -c(?: pass)?)$/;
const SHELL = /^(?:(?:\/usr)?\/bin\/)?(?:ba|da|z)?sh$/;
/** What ends a part whose status is thrown away (the last part's status is the command's). */
const SEPARATORS = new Set(['||', '|', '|&', ';', ';;', '&']);
const REDIRECTS = new Set(['>', '>>', '<', '>&', '<&', '<<<']);

type Words = string[];

const squash = (text: string) => text.trim().replace(/\s+/g, ' ');

/** Newlines end commands too; read as `;` when no quote spans a line (else the command is judged as one line). */
function oneLine(command: string): string {
	const lines = command.split('\n');
	const balanced = lines.every(line => (line.replace(/\\./g, '').match(/['"]/g) ?? []).length % 2 === 0);
	return balanced ? lines.join(' ; ') : command;
}

/** The command as parts (split by the separators), each an `&&` chain of word lists; undefined when too clever to judge. */
function partsOf(command: string): Words[][] | undefined {
	const tokens: ParseEntry[] = parse(oneLine(command), key => `$${key}`);
	const parts: Words[][] = [[[]]];
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i]!;
		const chain = parts.at(-1)!;
		const words = chain.at(-1)!;
		if (typeof token === 'string') {
			// `2>&1`: the descriptor belongs to the redirection, not the command.
			const next = tokens[i + 1];
			if (/^\d+$/.test(token) && typeof next === 'object' && 'op' in next && REDIRECTS.has(next.op)) continue;
			words.push(token);
		} else if ('comment' in token) {
			continue;
		} else if (token.op === 'glob') {
			words.push(token.pattern);
		} else if (token.op === '(' || token.op === ')') {
			// Parentheses run the same command.
		} else if (REDIRECTS.has(token.op)) {
			i++;
		} else if (token.op === '&&') {
			chain.push([]);
		} else if (SEPARATORS.has(token.op)) {
			parts.push([[]]);
		} else return undefined;
	}
	return parts.filter(chain => chain.some(words => words.length > 0));
}

function noOp(words: Words): boolean {
	const start = words.findIndex(word => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
	const command = start < 0 ? [] : words.slice(start);
	if (command.length === 3 && SHELL.test(command[0]!) && command[1] === '-c') return cannotFail(command[2]!);
	const text = squash(command.join(' '));
	return text === '' || NO_OP.test(text);
}

/** True when the command's status is 0 whatever it runs. */
export function cannotFail(command: string): boolean {
	if (squash(command) === '' || /^\s*exit\s*$/.test(command)) return true;
	// `set -e` or pipefail: an earlier failure ends it, whatever comes last.
	if (/\bset\s+(?:-\w*e|-o\s+pipefail)|\bpipefail\b/.test(command)) return false;
	const parts = partsOf(command);
	if (parts === undefined) return false;
	// The last part decides the status; `a && b` fails when a does, so every link of its chain must be a no-op.
	const last = parts.at(-1);
	return last === undefined || last.every(noOp);
}
