import path from 'node:path';

// Which repository files a finish-line command runs (so an agent that edits
// them moves the finish line), and which files are tests. Pure: the caller
// gives what base holds; no file system or git here.

/** What base holds, as the resolution needs it. */
export type BaseTree = {
	/** Repo-relative paths of every file on base. */
	files: ReadonlySet<string>;
	/** A file's text on base, or undefined (absent, binary or too large). */
	read: (file: string) => string | undefined;
};

export type NamedFiles = {
	/** Repo-relative file -> the command that names it (directly, or through a script it runs). */
	files: Map<string, string>;
	/** The package.json scripts the commands run (npm test -> "test", plus its pre/post scripts). */
	scripts: Map<string, string>;
};

const OPERATORS = new Set([';', '&&', '||', '|', '&', '(', ')', '|&', ';;']);

/**
 * A quoted run ('...' or "...", to its closing quote or the end) or a backslash-escaped
 * character at `i`: the text it adds to the word and the index it ends on.
 */
export function quotedAt(line: string, i: number): {text: string; end: number; closed: boolean} | undefined {
	const c = line[i];
	if (c === "'" || c === '"') {
		const close = line.indexOf(c, i + 1);
		const end = close === -1 ? line.length : close;
		return {text: line.slice(i + 1, end), end, closed: close !== -1};
	}
	if (c === '\\' && i + 1 < line.length) return {text: line[i + 1]!, end: i + 1, closed: true};
	return undefined;
}

/** Shell words of a command: quotes removed, operators as words of their own. Not a full shell: enough to find file names. */
export function shellWords(command: string): string[] {
	const words: string[] = [];
	let word: string | undefined;
	const push = () => {
		if (word !== undefined) words.push(word);
		word = undefined;
	};
	for (let i = 0; i < command.length; i++) {
		const c = command[i]!;
		const quoted = quotedAt(command, i);
		if (quoted) {
			word = (word ?? '') + quoted.text;
			i = quoted.end;
		} else if (/\s/.test(c)) {
			push();
		} else if (c === '#' && word === undefined) {
			// A comment runs to the end of the line.
			const end = command.indexOf('\n', i);
			i = end === -1 ? command.length : end - 1;
		} else if (';&|()<>'.includes(c)) {
			push();
			const two = command.slice(i, i + 2);
			if (OPERATORS.has(two)) {
				words.push(two);
				i++;
			} else if (c === '<' || c === '>') {
				// A redirection's target is a file word like any other.
			} else {
				words.push(c);
			}
		} else {
			word = (word ?? '') + c;
		}
	}
	push();
	return words;
}

/** The script an npm/pnpm/yarn/bun word list runs ("npm test" -> test, "yarn run build" -> build), if any. */
export function packageScript(words: readonly string[]): string | undefined {
	const [tool, ...rest] = words;
	if (!tool || !['npm', 'pnpm', 'yarn', 'bun'].includes(path.basename(tool))) return undefined;
	const args = rest.filter(w => !w.startsWith('-'));
	const [verb, name] = args;
	if (verb === undefined) return undefined;
	if (['test', 't', 'tst'].includes(verb)) return 'test';
	if (['start', 'stop', 'restart'].includes(verb)) return verb;
	if (verb === 'run' || verb === 'run-script' || verb === 'rum' || verb === 'urn') return name;
	// yarn/pnpm/bun run a script by its bare name too.
	if (path.basename(tool) !== 'npm' && !['install', 'add', 'exec', 'dlx', 'x', 'i', 'ci'].includes(verb)) return verb;
	return undefined;
}

const MAKEFILES = ['Makefile', 'makefile', 'GNUmakefile'];
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash']);

function isShellScript(file: string, text: string | undefined): boolean {
	if (/\.(sh|bash|zsh)$/.test(file)) return true;
	const first = text?.split('\n', 1)[0] ?? '';
	return /^#!.*\b(ba|z|da)?sh\b/.test(first);
}

/**
 * Every base file the commands name, followed through package.json scripts
 * (npm test, npm run x, with pre/post scripts), shell scripts they run, `sh -c`
 * strings and a Makefile for `make`. A word names a file when, relative to the
 * repository root (or a directory the command cd'd into), it is a file on base.
 */
export function namedFiles(commands: readonly string[], tree: BaseTree): NamedFiles {
	const named: NamedFiles = {files: new Map(), scripts: new Map()};
	const pkgText = tree.read('package.json');
	let scripts: Record<string, string> = {};
	try {
		const parsed = pkgText === undefined ? undefined : (JSON.parse(pkgText) as {scripts?: unknown});
		if (parsed && typeof parsed.scripts === 'object' && parsed.scripts !== null) scripts = parsed.scripts as Record<string, string>;
	} catch {
		// An unreadable package.json runs no scripts; the file itself is named when a command uses it.
	}
	const seenScripts = new Set<string>();
	const seenFiles = new Set<string>();

	const visit = (command: string, origin: string, depth: number, cwd: string) => {
		if (depth > 6) return;
		const words = shellWords(command);
		let dir = cwd;
		let segment: string[] = [];
		const flush = () => {
			if (segment.length > 0) dir = visitSegment(segment, origin, depth, dir);
			segment = [];
		};
		for (const word of words) {
			if (OPERATORS.has(word)) flush();
			else segment.push(word);
		}
		flush();
	};

	const nameFile = (file: string, origin: string, depth: number) => {
		if (!named.files.has(file)) named.files.set(file, origin);
		if (seenFiles.has(file)) return;
		seenFiles.add(file);
		const text = tree.read(file);
		// A shell script's own words name files too (relative to the root, where commands run, or to the script).
		if (text !== undefined && isShellScript(file, text)) {
			visit(text, origin, depth + 1, '');
			visit(text, origin, depth + 1, path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file));
		}
	};

	const runScript = (name: string, origin: string, depth: number) => {
		for (const each of [`pre${name}`, name, `post${name}`]) {
			const body = scripts[each];
			if (typeof body !== 'string') continue;
			if (!named.scripts.has(each)) named.scripts.set(each, origin);
			if (seenScripts.has(each)) continue;
			seenScripts.add(each);
			visit(body, origin, depth + 1, '');
		}
	};

	const visitSegment = (segment: string[], origin: string, depth: number, cwd: string): string => {
		let words = segment;
		// Leading assignments and wrappers do not change what runs.
		while (words.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!) || ['env', 'exec', 'time', 'command', 'nice'].includes(words[0]!)))
			words = words.slice(1);
		const [tool] = words;
		if (tool === undefined) return cwd;
		if (tool === 'cd') return words[1] === undefined ? '' : path.posix.normalize(path.posix.join(cwd, words[1])).replace(/^\.$/, '');
		const script = packageScript(words);
		if (script !== undefined) {
			if (tree.files.has('package.json')) named.files.set('package.json', named.files.get('package.json') ?? origin);
			runScript(script, origin, depth);
		}
		if (tool === 'make' || tool === 'gmake')
			for (const file of MAKEFILES) if (tree.files.has(path.posix.join(cwd, file))) nameFile(path.posix.join(cwd, file), origin, depth);
		if (SHELLS.has(path.basename(tool))) {
			const c = words.indexOf('-c');
			if (c !== -1 && words[c + 1] !== undefined) visit(words[c + 1]!, origin, depth + 1, cwd);
		}
		for (const word of words) {
			for (const candidate of [word, ...(word.includes('=') ? [word.slice(word.indexOf('=') + 1)] : [])]) {
				const file = inRepo(candidate, cwd);
				if (file !== undefined && tree.files.has(file)) nameFile(file, origin, depth);
			}
		}
		return cwd;
	};

	for (const command of commands) visit(command, command, 0, '');
	return named;
}

/** A word as a repo-relative path, or undefined when it cannot be one (absolute, outside, an option). */
function inRepo(word: string, cwd: string): string | undefined {
	if (word === '' || word.startsWith('-') || path.posix.isAbsolute(word) || word.includes('$')) return undefined;
	const file = path.posix.normalize(path.posix.join(cwd, word));
	if (file === '.' || file.startsWith('../')) return undefined;
	return file.replace(/\/+$/, '');
}

// Files that change how a command runs without being named by it: npm's
// script-shell, a pytest conftest, a runner's config that excludes every test,
// a committed node_modules/.bin that shadows the runner, Python start-up hooks.
const RUNNER_CONFIG = [
	/(^|\/)\.npmrc$/,
	/(^|\/)\.yarnrc(\.yml)?$/,
	/(^|\/)\.pnpmfile\.cjs$/,
	/(^|\/)bunfig\.toml$/,
	/(^|\/)conftest\.py$/,
	/(^|\/)pytest\.ini$/,
	/(^|\/)(site|user)customize\.py$/,
	/\.pth$/,
	/(^|\/)vitest\.(config|workspace)\.[cm]?[jt]s$/,
	/(^|\/)jest\.config\.([cm]?[jt]s|json)$/,
	/(^|\/)\.mocharc(\.[a-z]+)?$/,
	/(^|\/)node_modules\//,
];

/** Whether a path configures how the finish line's commands run (added, changed or deleted, it can make them pass without the work). */
export function isRunnerConfig(file: string): boolean {
	return RUNNER_CONFIG.some(pattern => pattern.test(file));
}

/** Whether a path is a test by its place or name: test/, tests/, __tests__/, *.test.*, *.spec.*, *_test.*, test_*.py. */
export function isTestFile(file: string): boolean {
	const parts = file.split('/');
	const name = parts.at(-1) ?? '';
	if (parts.slice(0, -1).some(dir => dir === 'test' || dir === 'tests' || dir === '__tests__')) return true;
	return /\.(test|spec)\.[^/]+$/.test(name) || /_test\.[^./]+$/.test(name) || /^test_.*\.py$/.test(name);
}

/** How many test cases a file declares (it/test/describe calls, def test_, func Test, #[test], @Test). */
export function countTests(text: string): number {
	// A commented-out test is no test: comments go before counting (not a Rust `#[test]`).
	text = text
		.replace(/\/\*[\s\S]*?\*\//g, '')
		.replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
		.replace(/^\s*#(?!\[).*$/gm, '');
	const patterns = [
		/\b(?:it|test|describe|context|specify)(?:\.(?:each|only|concurrent|sequential)(?:\([^)]*\))?)?\s*\(/g,
		/\bdef\s+test_?\w*\s*\(/g,
		/\bfunc\s+Test\w*\s*\(/g,
		/#\[test\]/g,
		/@Test\b/g,
	];
	return patterns.reduce((sum, pattern) => sum + (text.match(pattern)?.length ?? 0), 0);
}

/**
 * Whether a path matches an entry of `protect` or `allow`: "dir/" is a folder,
 * a plain path is that file or folder, and `*`, `**` and `?` are globs
 * ("scripts/*.sh", "**\/fixtures/**").
 */
/** How many tests are focused (`.only`): one more than base silences every other test of the file. */
export function countFocused(text: string): number {
	return text.match(/\b(?:it|test|describe|context)\.only\s*\(/g)?.length ?? 0;
}

export function matchesPathRule(file: string, rule: string): boolean {
	const bare = rule.replace(/^\.\//, '');
	if (!/[*?]/.test(bare)) {
		const trimmed = bare.replace(/\/+$/, '');
		return file === trimmed || file.startsWith(`${trimmed}/`);
	}
	let source = '';
	for (let i = 0; i < bare.length; i++) {
		const c = bare[i]!;
		if (c === '*' && bare[i + 1] === '*') {
			// "**/" matches any number of directories, including none.
			if (bare[i + 2] === '/') {
				source += '(?:.*/)?';
				i += 2;
			} else {
				source += '.*';
				i++;
			}
		} else if (c === '*') source += '[^/]*';
		else if (c === '?') source += '[^/]';
		else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
	}
	// A glob ending in "/" covers what is under it.
	return new RegExp(`^${source}${bare.endsWith('/') ? '.*' : '(?:/.*)?'}$`).test(file);
}
