/** Small pieces every stream parser needs: lenient JSON access and failure wording. */

import stripAnsi from 'strip-ansi';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A finite number, else 0: token counts a CLI left out count as none. */
export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A finite number, else undefined: for values whose absence means something (a cost nobody reported). */
export const maybeNum = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * One stdout line as a JSON object, or undefined. Warnings, banners and
 * half-written lines are not fatal: the raw log keeps them.
 */
export function jsonLine(line: string): Json | undefined {
	const trimmed = line.trim();
	if (!trimmed.startsWith('{')) return undefined;
	try {
		const value: unknown = JSON.parse(trimmed);
		return isObject(value) ? value : undefined;
	} catch {
		return undefined;
	}
}

/** The message of an `error` field that may be a string, `{message}` or `{data: {message}}`. */
export function errorMessage(error: unknown): string | undefined {
	if (typeof error === 'string') return error;
	if (!isObject(error)) return undefined;
	const direct = str(error['message']);
	if (direct) return direct;
	if (isObject(error['data'])) return str(error['data']['message']);
	return undefined;
}

/**
 * The last few lines a CLI wrote to stderr. Several CLIs explain a failure
 * only there (claude's root refusal, codex outside a git repo, qwen's turn
 * limit), so a verdict without a result event quotes them.
 */
export class StderrTail {
	private readonly lines: string[] = [];

	constructor(private readonly keep = 4) {}

	push(line: string): void {
		const clean = stripAnsi(line).trim();
		if (clean === '') return;
		this.lines.push(clean.length > 300 ? `${clean.slice(0, 299)}…` : clean);
		if (this.lines.length > this.keep) this.lines.shift();
	}

	/** Every kept line, for pattern checks. */
	all(): readonly string[] {
		return this.lines;
	}

	/** " (stderr: a | b)" or "". */
	suffix(): string {
		return this.lines.length === 0 ? '' : `; stderr: ${this.lines.join(' | ')}`;
	}
}

/** " (exit code 1)", " (killed by SIGTERM)" or "". */
export function howItEnded(exit: {exitCode?: number; signal?: string}): string {
	if (exit.signal) return ` (killed by ${exit.signal})`;
	if (exit.exitCode !== undefined) return ` (exit code ${exit.exitCode})`;
	return '';
}

/**
 * A verdict the stream called a success still fails on a signal or a non-zero
 * exit: the process knows something the stream did not say.
 */
export function exitContradicts(exit: {exitCode?: number; signal?: string}): string | undefined {
	if (exit.signal) return `agent reported success but was killed by ${exit.signal}`;
	if (exit.exitCode !== undefined && exit.exitCode !== 0) return `agent reported success but exited with code ${exit.exitCode}`;
	return undefined;
}
