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
			`${repeated.count} failed attempts in a row, of ${repeated.tickets.join(', ')}, ended with: "${repeated.signature}". Dispatch stopped so no more attempts are spent on it.`,
			'',
		);
	}
	for (const held of verdict.tickets.filter(t => !t.passing)) {
		lines.push(`### ${held.id} (${held.status})`);
		const failures = events.filter((e): e is Extract<EngineEvent, {type: 'attempt.failed'}> => e.type === 'attempt.failed' && e.ticket === held.id).slice(-3);
		for (const failure of failures) lines.push(`- attempt ${failure.attempt} failed at ${failure.stage}: ${failure.reason.split('\n').slice(0, 6).join(' / ')}`);
		const last = failures.at(-1);
		const log = last ? ctx.run.logFile(held.id, last.attempt) : undefined;
		if (log && existsSync(log)) lines.push('', 'Log tail:', '```', lastLines(readFileSync(log, 'utf8'), 30), '```');
		lines.push('');
	}
	const warnings = events.filter(e => e.type === 'warning').slice(-10);
	if (warnings.length > 0) lines.push('### Harness warnings', ...warnings.map(w => `- ${w.type === 'warning' ? w.message.split('\n')[0] : ''}`));
	return lines.join('\n');
}
