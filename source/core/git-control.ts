import {execFileSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {homedir} from 'node:os';
import path from 'node:path';
import {gitEnv} from '../git/run.js';
import {sha256File} from '../lib/sha256.js';

/**
 * Git's control files: what the engine's own git commands (outside every box)
 * read and may run code from: a filter's smudge/clean, a diff driver's
 * textconv, a merge driver, core.fsmonitor, include.path. The repository's
 * and the user's and system's (git config and attributes files). An
 * unsandboxed agent can write them; hooks off is not enough. Their bytes at
 * run start are the baseline: any change mid-run halts the run, named.
 */
/** The user's and system's git config and attributes files (the ones git reads from these places). */
function outsideFiles(repoRoot: string, env: NodeJS.ProcessEnv): string[] {
	const home = env['HOME'] || homedir();
	const xdg = env['XDG_CONFIG_HOME'] || path.join(home, '.config');
	const files = [
		env['GIT_CONFIG_GLOBAL'] || path.join(home, '.gitconfig'),
		path.join(xdg, 'git', 'config'),
		path.join(xdg, 'git', 'attributes'),
		'/etc/gitconfig',
		'/etc/gitattributes',
	];
	if (env['GIT_CONFIG_SYSTEM']) files.push(env['GIT_CONFIG_SYSTEM']);
	try {
		// A configured attributes file elsewhere (e.g. ~/.gitattributes).
		const configured = execFileSync('git', ['config', '--path', '--get', 'core.attributesFile'], {
			cwd: repoRoot,
			encoding: 'utf8',
			env: gitEnv(),
			stdio: ['ignore', 'pipe', 'ignore'],
		}).trim();
		if (configured) files.push(path.resolve(repoRoot, configured));
	} catch {
		// None configured.
	}
	return files;
}

export class GitControl {
	readonly #common: string;
	readonly #own: string;
	readonly #outside: string[];
	readonly #baseline: Map<string, string>;

	constructor(repoRoot: string) {
		let own = '.git';
		let common = '.git';
		try {
			[own = own, common = common] = execFileSync('git', ['rev-parse', '--git-dir', '--git-common-dir'], {
				cwd: repoRoot,
				encoding: 'utf8',
				env: gitEnv(),
				stdio: ['ignore', 'pipe', 'ignore'],
			})
				.trim()
				.split('\n');
		} catch {
			// Not a repository (yet): the usual layout.
		}
		this.#own = path.resolve(repoRoot, own);
		this.#common = path.resolve(repoRoot, common);
		this.#outside = outsideFiles(repoRoot, process.env);
		this.#baseline = this.#hashes();
	}

	#files(): string[] {
		const files = [
			...this.#outside,
			path.join(this.#common, 'config'),
			path.join(this.#common, 'config.worktree'),
			path.join(this.#common, 'info', 'attributes'),
			path.join(this.#own, 'config.worktree'),
		];
		try {
			for (const id of readdirSync(path.join(this.#common, 'worktrees'))) files.push(path.join(this.#common, 'worktrees', id, 'config.worktree'));
		} catch {
			// No linked worktrees yet.
		}
		return [...new Set(files)];
	}

	#hashes(): Map<string, string> {
		const hashes = new Map<string, string>();
		for (const file of this.#files()) {
			try {
				hashes.set(file, sha256File(file));
			} catch {
				// Absent: a file that appears later is a change.
			}
		}
		return hashes;
	}

	/** The first control file that changed since run start, as a message with the fix; undefined while none did. */
	change(): string | undefined {
		const now = this.#hashes();
		for (const file of new Set([...this.#baseline.keys(), ...now.keys()])) {
			const was = this.#baseline.get(file);
			const is = now.get(file);
			if (was === is) continue;
			const how = was === undefined ? 'was created' : is === undefined ? 'was deleted' : 'changed';
			return (
				`${file} ${how} since the run started: git reads it in the engine's own commands (a filter's smudge, a diff's textconv, ` +
				`core.fsmonitor run code there), so nothing more merges or verifies\n` +
				`  fix: look at ${file}; put back what no person wrote, then \`proofloop run\` starts a new run`
			);
		}
		return undefined;
	}
}
