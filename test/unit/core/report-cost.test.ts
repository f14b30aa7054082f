import {describe, expect, it} from 'vitest';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {buildReport, renderReportMarkdown} from '../../../source/core/report.js';
import type {Manifest} from '../../../source/core/run-dir.js';
import type {Ticket} from '../../../source/tracker/ticket.js';

const manifest: Manifest = {
	run_id: 'r',
	batch: 'b',
	base_branch: 'main',
	base_commit: 'c',
	ticket_ids: ['T-1', 'T-2'],
	oracle_sha256: 'x',
	config_sha256: 'y',
	created_at: new Date(0).toISOString(),
	proofloop_version: '0',
};

const ticket = (id: string): Ticket =>
	({id, title: id, status: 'done', batch: 'b', deps: [], locks: [], priority: 2, text: '', file: `${id}.md`}) as unknown as Ticket;

/** Two tickets done in one attempt each; `costs` is what each agent said it spent. */
function markdownOf(costs: [number, number]): string {
	const raw: NewEvent[] = [
		{type: 'run.started', runId: 'r', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['T-1', 'T-2'], oracleSha256: 'x', pid: 1, attempts: 3},
		...(['T-1', 'T-2'] as const).flatMap((id, i): NewEvent[] => [
			{type: 'attempt.started', ticket: id, attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{
				type: 'agent.exited',
				ticket: id,
				attempt: 1,
				ok: true,
				reason: 'exit 0',
				durationMs: 1,
				usage: {inputTokens: 1000, outputTokens: 100, costUsd: costs[i]!},
			},
			{type: 'ticket.done', ticket: id, attempt: 1, mergeCommit: 'm', verifyDigest: 'd'},
		]),
	];
	const events = raw.map((event, i) => ({...event, seq: i + 1, at: new Date(1000 * i).toISOString()}) as EngineEvent);
	return renderReportMarkdown(buildReport(manifest, events, [ticket('T-1'), ticket('T-2')]));
}

describe("the Markdown report's cost", () => {
	it('is n/a, never $0.00, when no agent reported a cost (the demo, CLIs that say none), as the TUI and the HTML page say', () => {
		const markdown = markdownOf([0, 0]);
		expect(markdown).toMatch(/^- cost: n\/a$/m);
		expect(markdown).toMatch(/^\| T-1 \| T-1 \| done \| 1 \| [\d.]+s \| n\/a \|/m);
		expect(markdown).not.toMatch(/\$0\.00/);
	});

	it('is in dollars when an agent reported one', () => {
		const markdown = markdownOf([0.5, 0]);
		expect(markdown).toMatch(/^- cost: \$0\.50$/m);
		expect(markdown).toMatch(/^\| T-1 \| T-1 \| done \| 1 \| [\d.]+s \| \$0\.50 \|/m);
		expect(markdown).toMatch(/^\| T-2 \| T-2 \| done \| 1 \| [\d.]+s \| \$0\.00 \|/m);
	});
});
