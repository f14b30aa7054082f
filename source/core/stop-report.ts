import {existsSync, readFileSync} from 'node:fs';
import type {EngineContext} from './context.js';
import type {EngineEvent} from './events.js';
import type {OracleVerdict} from './oracle.js';
import {lastLines} from './shell.js';

/**
 * Why the loop is about to stop without the oracle's exit 0, for the healer
 * and for the human who reads stop-report.md in the morning: the verdict, per
 * held ticket its last attempts' reasons and log tail, and the harness errors.
 */
export function stopReport(ctx: EngineContext, verdict: OracleVerdict, events: readonly EngineEvent[]): string {
	const lines = [`Oracle: exit ${verdict.exit} (${verdict.verdict})${verdict.error ? `: ${verdict.error}` : ''}`, ''];
	// A halt comes first: it is why the run stopped, whatever the tickets say.
	const halted = events.findLast(e => e.type === 'run.halted');
	if (halted?.type === 'run.halted') lines.push(`### The run halted (${halted.cause})`, '```', halted.message, '```', '');
	const budget = events.findLast(e => e.type === 'warning' && e.budget !== undefined);
	if (budget?.type === 'warning') lines.push(`### A budget is spent (${budget.budget})`, budget.message, '');
	// Only what happened since the last applied heal: what came before it was answered already.
	const lastHeal = events.findLastIndex(e => e.type === 'heal.result' && e.outcome === 'applied');
	const repeated = events.slice(lastHeal + 1).findLast(e => e.type === 'harness.repeated');
	if (repeated?.type === 'harness.repeated') {
		lines.push(
			'### The same harness error keeps ending attempts',
			`${repeated.count} failed attempts in a row, of ${repeated.tickets.join(', ')}, ended with: "${repeated.signature}". ` +
				`Dispatch stopped so no more attempts are spent on it.`,
			'',
		);
	}
	for (const held of verdict.tickets.filter(t => !t.passing)) {
		lines.push(`### ${held.id} (${held.status})`);
		lines.push(...waitsOn(held.id, verdict, events));
		const failures = events.filter((e): e is Extract<EngineEvent, {type: 'attempt.failed'}> => e.type === 'attempt.failed' && e.ticket === held.id).slice(-3);
		for (const failure of failures)
			lines.push(`- attempt ${failure.attempt} failed at ${failure.stage}: ${failure.reason.split('\n').slice(0, 6).join(' / ')}`);
		const last = failures.at(-1);
		const log = last ? ctx.run.logFile(held.id, last.attempt) : undefined;
		if (log && existsSync(log)) lines.push('', 'Log tail:', '```', lastLines(readFileSync(log, 'utf8'), 30), '```');
		lines.push('');
	}
	const warnings = events.filter(e => e.type === 'warning').slice(-10);
	if (warnings.length > 0) lines.push('### Harness warnings', ...warnings.map(w => `- ${w.type === 'warning' ? w.message.split('\n')[0] : ''}`));
	return lines.join('\n');
}

/** A held ticket that never got to start: the deps it waited on (a human-gated dep is not done, so it waits for good). */
function waitsOn(id: string, verdict: OracleVerdict, events: readonly EngineEvent[]): string[] {
	if (events.some(e => e.type === 'attempt.started' && e.ticket === id)) return [];
	const listed = events.findLast(e => e.type === 'run.tickets');
	const deps = listed?.type === 'run.tickets' ? (listed.tickets.find(t => t.id === id)?.deps ?? []) : [];
	const statusOf = new Map(verdict.tickets.map(t => [t.id, t.status]));
	const waits = deps.filter(dep => statusOf.get(dep) !== 'done');
	if (waits.length === 0) return [];
	const gated = waits.filter(dep => statusOf.get(dep) === 'human_gated');
	return [
		`- never started: it waits on ${waits.map(dep => `${dep} (${statusOf.get(dep) ?? 'not in the batch'})`).join(', ')}; ` +
			`a ticket starts only once its deps are done`,
		...(gated.length > 0
			? [`  fix: a human-gated dep is never done by the loop: \`proofloop ungate ${gated[0]}\` lets the loop do it, or gate ${id} too`]
			: []),
	];
}
