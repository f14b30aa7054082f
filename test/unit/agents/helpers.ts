// Shared by the agents tests: where the fakes live, temp dirs, liveness checks.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach} from 'vitest';
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from '../../../source/agents/adapter.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const fixtures = path.join(repoRoot, 'test/fixtures/agents');
export const fixture = (...parts: string[]): string => path.join(fixtures, ...parts);

/** Lines of a recorded sample (claude's unless another CLI is named), minus any `_sample_source` marker line. */
export function sampleLines(name: string, cli = 'claude'): string[] {
	return readFileSync(fixture(cli, name), 'utf8')
		.split('\n')
		.filter(line => line.trim() !== '' && !line.startsWith('{"_sample_source"'));
}

const made: string[] = [];
afterEach(() => {
	for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true});
});
/** A temp dir removed after the test. */
export function tempDir(prefix = 'proofloop-agents-'): string {
	const dir = mkdtempSync(path.join(tmpdir(), prefix));
	made.push(dir);
	return dir;
}

export function attemptInput(worktree: string, overrides: Partial<AttemptInput> = {}): AttemptInput {
	return {ticketId: 'T-1', attempt: 1, maxAttempts: 3, promptFile: path.join(worktree, 'prompt.md'), worktree, ...overrides};
}

/** An adapter around a fixed command: the fake agent is the process, nothing else is faked. */
export function fixedAdapter(command: AgentCommand, parser: () => StreamParser): AgentAdapter {
	return {name: 'fake', command: () => command, parser};
}

/** The minimal environment a fake needs (`#!/usr/bin/env node` looks up PATH). */
export const baseEnv = (): Record<string, string> => ({PATH: process.env['PATH'] ?? '/usr/bin:/bin'});

/**
 * Whether a pid is a live process. A killed process can linger as a zombie
 * until its new parent reaps it; a zombie runs nothing, so it counts as dead.
 */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch {
		return false;
	}
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

/** Polls until `check` is true or `ms` passed; returns the last answer. */
export async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
	const until = Date.now() + ms;
	for (;;) {
		if (check()) return true;
		if (Date.now() > until) return false;
		await new Promise(resolve => setTimeout(resolve, 25));
	}
}
