/**
 * A finish-line command whose status is 0 whatever it runs proves nothing: a
 * no-op, an echo, an exit 0, or a command ending in `|| true`, `; exit 0`,
 * `| cat`. A heuristic for the obvious class; the test counts of
 * check-results.ts catch a runner that ends early.
 */

// A no-op: true, :, exit 0, an echo or printf, a `cat`/`tee` a pipe ends in, `node -e 0`, `python -c pass`.
const NO_OP =
	/^(?:!\s*false|true|:|\/(?:usr\/)?bin\/true|exit\s+0|echo\b.*|printf\b.*|cat|tee\b.*|node\s+(?:-e|--eval)\s*(?:0|1|''|""|'0'|"0"|'process\.exit\(0?\)'|"process\.exit\(0?\)")?|python3?\s+-c\s*(?:pass|'pass'|"pass"|''|"")?)$/;

const squash = (text: string) => text.trim().replace(/\s+/g, ' ');

function noOp(part: string): boolean {
	let text = squash(part.replace(/(?:^|\s)#.*$/, ''));
	// Parentheses and `sh -c '…'` run the same command.
	for (let inner = /^\((.*)\)$/.exec(text); inner; inner = /^\((.*)\)$/.exec(text)) text = squash(inner[1]!);
	const shell = /^(?:(?:\/usr)?\/bin\/)?(?:ba|da|z)?sh -c (['"])(.*)\1$/.exec(text);
	if (shell) return cannotFail(shell[2]!);
	return text === '' || NO_OP.test(text);
}

/** True when the command's status is 0 whatever it runs. */
export function cannotFail(command: string): boolean {
	if (squash(command) === '' || /^\s*exit\s*$/.test(command)) return true;
	// `set -e` or pipefail: an earlier failure ends it, whatever comes last.
	if (/\bset\s+(?:-\w*e|-o\s+pipefail)|\bpipefail\b/.test(command)) return false;
	// The part after the last `||`, `|`, `;`, `&` or newline decides the status; `a && b` fails when a does.
	const parts = command.replace(/&&/g, '\u0000').split(/\|\||\||;|\n|&/);
	const last = parts[parts.length - 1]!;
	if (squash(last) === '') return false;
	const chain = last.split('\u0000');
	// Every link of the last `&&` chain a no-op; or an earlier part's status thrown away by `;`/`||` and a no-op last.
	return chain.every(noOp) || (parts.length > 1 && chain.length === 1 && noOp(last));
}
