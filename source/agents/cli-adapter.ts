/**
 * What the four coding-agent CLI adapters (claude, codex, gemini, opencode)
 * share: the config they take and how the prompt file becomes argv. The
 * process is spawned without a shell (argv goes to execve as is, so quotes,
 * `$(...)` and newlines in a prompt are just text) and with stdin closed.
 */
import {readFileSync} from 'node:fs';

export type CliAgentOptions = {
	/** The model, unless the attempt names one (e.g. the reviewer's). */
	model?: string;
	/** Extra arguments, appended after ours (before the prompt). */
	args?: string[];
	/** The executable: a path, or a name looked up on the child's PATH. */
	bin?: string;
};

/**
 * Largest prompt passed on the command line. Linux refuses a single argument
 * over 128 KiB (MAX_ARG_STRLEN) and all of argv plus the environment over
 * ARG_MAX (often 2 MiB), with E2BIG before the CLI even starts.
 */
export const PROMPT_ARG_MAX_BYTES = 100_000;

/**
 * The prompt file's text, to pass as an argument; a prompt too long for argv
 * (or holding a NUL byte, which argv cannot carry) becomes a short one that
 * sends the agent to the file. None of these CLIs has a prompt-file flag, and
 * stdin stays closed (codex and opencode block on an open one).
 */
export function promptText(promptFile: string): string {
	let text: string;
	try {
		text = readFileSync(promptFile, 'utf8');
	} catch (error) {
		throw new Error(`cannot read the prompt file ${promptFile}: ${(error as Error).message}`, {cause: error});
	}
	if (Buffer.byteLength(text) <= PROMPT_ARG_MAX_BYTES && !text.includes('\0')) return text;
	return `Your full instructions are in the file ${promptFile}: it is too long to pass on the command line. Read that whole file first, then follow it exactly.`;
}

/** The model for this attempt: the attempt's choice wins over the configured default. */
export const modelFor = (attemptModel: string | undefined, configured: string | undefined): string | undefined => attemptModel ?? configured;
