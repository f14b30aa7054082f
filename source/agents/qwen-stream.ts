/**
 * Reads Qwen Code's `-o stream-json` output (qwen 0.24.4): Claude's SDK shape
 * minus cost fields, an error result carrying `error: {message}`, and, unlike
 * claude, no result event at all when a turn or budget limit stops it (exit 53
 * or 55, the reason only on stderr). See test/fixtures/agents/qwen/.
 */
import type {AgentVerdict} from './adapter.js';
import {ClaudeStreamParser, type ClaudeStreamOptions} from './claude-stream.js';
import type {Exit} from './stream-parser.js';
import {howItEnded} from './stream-util.js';

/** qwen's documented fatal exit codes that come without a result event. */
const QWEN_EXITS: Record<number, string> = {
	53: 'qwen reached its session turn limit',
	55: 'qwen exceeded its budget (wall time or tool calls)',
};

export class QwenStreamParser extends ClaudeStreamParser {
	constructor(options: ClaudeStreamOptions = {}) {
		super({name: 'qwen', ...options});
	}

	protected override noResult(exit: Exit): AgentVerdict {
		const known = exit.exitCode === undefined ? undefined : QWEN_EXITS[exit.exitCode];
		if (!known) return super.noResult(exit);
		return {ok: false, reason: `${known}, with no result event${howItEnded(exit)}${this.stderr.suffix()}`};
	}
}
