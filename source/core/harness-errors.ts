/**
 * Stop detection's second trigger: the same harness error repeating across
 * attempts. An agent that times out, a CLI that cannot start, a check command
 * that is not found: when that is what ends attempt after attempt of
 * different tickets, more attempts only burn the batch's budget. The loop
 * stops dispatching, and a healer (or a human) looks at the harness first.
 *
 * Only failures that speak about the harness count. A check that runs and
 * fails (exit 1), a review's findings, a guard refusal, a merge conflict: those
 * are about the ticket's work, and a fresh attempt is the right answer.
 */
import type {Stage} from './events.js';

/** The reason with what differs between tickets and attempts taken out; undefined when it is not a harness error. */
export function harnessSignature(ticket: string, stage: Stage, reason: string): string | undefined {
	const first = (reason.split('\n')[0] ?? '').trim();
	if (!isHarnessError(stage, first)) return undefined;
	return normalise(first, ticket);
}

function isHarnessError(stage: Stage, first: string): boolean {
	switch (stage) {
		// The agent process itself: timed out, no result, denied tools, cannot start, crashed.
		case 'implement':
			return first.startsWith('the agent failed:');
		// A proofloop error (a worktree that cannot be made, a tracker write that fails).
		case 'prepare':
			return true;
		// A finish-line command that cannot run (not found, not executable) or outlives its timeout.
		case 'checks':
		case 'verify':
			// Only the verdict proofloop wrote ("failed (exit 127)", "`cmd` timed out"), not the output summary after it.
			return /failed \((exit 12[67]|timed out)\)|` (exited 12[67]|timed out):/.test(first);
		// A planner, or the reviewer of its plan, that cannot run fails every attempt at the plan stage.
		case 'plan':
			return first.startsWith('the planner failed:') || first.startsWith('the plan review failed: the reviewer failed:');
		// A reviewer CLI that cannot run (not a verdict, not missing JSON: those are the model's answer).
		case 'review':
			return first.startsWith('the reviewer failed:');
		default:
			return false;
	}
}

function normalise(text: string, ticket: string): string {
	return text
		.split(ticket)
		.join('<ticket>')
		.replace(/\b[0-9a-f]{7,40}\b/g, '<sha>')
		.replace(/\/\S+/g, '<path>')
		.replace(/\d+/g, '#')
		.replace(/\s+/g, ' ')
		.slice(0, 240);
}

export type RepeatedError = {signature: string; tickets: string[]; count: number};

/**
 * Fed every failed attempt in order; says when the last `limit` failures all
 * share one harness signature and span at least two tickets (one ticket
 * failing the same way is that ticket's attempt cap's business).
 */
export class RepeatDetector {
	private streak: Array<{ticket: string; signature: string}> = [];

	constructor(private readonly limit: number) {}

	/** Record a failed attempt; returns the repetition when it reaches the limit. */
	add(ticket: string, stage: Stage, reason: string): RepeatedError | undefined {
		if (this.limit <= 0) return undefined;
		const signature = harnessSignature(ticket, stage, reason);
		if (!signature) {
			this.streak = [];
			return undefined;
		}
		if (this.streak.length > 0 && this.streak[0]!.signature !== signature) this.streak = [];
		this.streak.push({ticket, signature});
		if (this.streak.length < this.limit) return undefined;
		const tickets = [...new Set(this.streak.map(entry => entry.ticket))];
		if (tickets.length < 2) return undefined;
		return {signature, tickets, count: this.streak.length};
	}

	/** After a heal changed the harness, the old streak says nothing about the new one. */
	reset(): void {
		this.streak = [];
	}
}
