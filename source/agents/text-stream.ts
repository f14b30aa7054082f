/**
 * For a CLI that prints plain text: every line is something it said, and the
 * exit code is the only verdict there is.
 */
import type {AgentEvent, StreamParser} from './adapter.js';

export class TextStreamParser implements StreamParser {
	line(line: string): AgentEvent[] {
		// Blank lines are layout, not something the agent said.
		return line.trim() === '' ? [] : [{type: 'text', text: line}];
	}

	finish(exit: {exitCode?: number; signal?: string}): {ok: boolean; reason: string} {
		if (exit.signal) return {ok: false, reason: `killed by ${exit.signal}`};
		if (exit.exitCode === undefined) return {ok: false, reason: 'ended without an exit code'};
		return {ok: exit.exitCode === 0, reason: `exited with code ${exit.exitCode}`};
	}
}
