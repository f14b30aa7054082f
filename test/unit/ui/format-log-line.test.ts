import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {formatLogLine, formatLogTail} from '../../../source/ui/format-log-line.js';

describe('worker pane lines', () => {
	it('turns a real claude stream into what the agent did, in words', () => {
		const raw = readFileSync('test/fixtures/agents/claude/success_tool_use.jsonl', 'utf8').trim().split('\n');
		const lines = formatLogTail(raw);
		expect(lines).toContain('· session started (claude-sonnet-4-5)');
		expect(lines).toContain('⚙ Bash echo hello-from-mock > mock.txt && cat mock.txt');
		expect(lines).toContain('  ↳ hello-from-mock');
		expect(lines).toContain('» All done: created mock.txt');
		expect(lines.at(-1)).toBe('✓ All done: created mock.txt');
		expect(lines.some(line => line.startsWith('{'))).toBe(false);
	});

	it('shows plain output as it is and names unknown JSON events instead of dumping them', () => {
		expect(formatLogLine('not ok 1 - makes url slugs')).toEqual(['not ok 1 - makes url slugs']);
		expect(formatLogLine('{"type":"thread.started","thread_id":"x"}')).toEqual(['· thread.started']);
		expect(formatLogLine('{broken')).toEqual(['{broken']);
	});
});
