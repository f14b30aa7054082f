import type {Ticket} from '../tracker/ticket.js';
import {cannotFail} from './cannot-fail.js';
import type {ProjectConfig} from './config.js';

export class BatchError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BatchError';
	}
}

/**
 * The batch a new run will pin, checked before anything is written: an empty
 * selection, a dependency nobody will finish, an undeclared lock or a ticket
 * with no finish line at all, or a check that cannot fail, are errors, never a pass.
 */
export function selectBatch(tickets: Ticket[], config: ProjectConfig): Ticket[] {
	const batch = tickets.filter(t => t.batch === config.batch);
	if (batch.length === 0) {
		const known = [...new Set(tickets.map(t => t.batch).filter(Boolean))].sort();
		throw new BatchError(
			`batch '${config.batch}' is empty: no ticket in ${config.tracker.dir} has 'batch: ${config.batch}'\n` +
				`  fix: set "batch" in .proofloop/config.json to ${known.length > 0 ? `one of: ${known.join(', ')}` : 'a batch your tickets name'}, or add 'batch: ` +
				`${config.batch}' to the tickets to run`,
		);
	}
	const byId = new Map(tickets.map(t => [t.id, t]));
	const inBatch = new Set(batch.map(t => t.id));
	const problems: string[] = [];
	for (const ticket of batch) {
		for (const dep of ticket.deps) {
			const other = byId.get(dep);
			if (other && !inBatch.has(dep) && other.status !== 'done') {
				problems.push(
					`${ticket.file}: depends on ${dep}, which is not in batch '${config.batch}' and not done, so ${ticket.id} could never start\n  fix: add 'batch: ` +
						`${config.batch}' to ${other.file}, or remove ${dep} from deps`,
				);
			}
		}
		for (const lock of ticket.locks) {
			if (!config.locks.includes(lock)) {
				problems.push(
					`${ticket.file}: uses lock '${lock}', which .proofloop/config.json does not declare\n  fix: add "${lock}" to "locks" in .proofloop/config.json, ` +
						`or correct the name`,
				);
			}
		}
		const checks = ticket.checks ?? config.checks;
		const verify = ticket.verify ?? config.verify;
		if (checks.length === 0 && verify.length === 0) {
			problems.push(
				`${ticket.file}: has no checks and no verify commands, so nothing could ever prove it done\n  fix: ` +
					`add "checks"/"verify" to .proofloop/config.json or to the ticket`,
			);
		}
	}
	problems.push(...noOpCommands(batch, config));
	if (problems.length > 0) throw new BatchError(problems.join('\n'));
	return batch;
}

/** A check or verify command that cannot fail proves nothing: an error where it is written (the config once, each ticket's own). */
function noOpCommands(batch: Ticket[], config: ProjectConfig): string[] {
	const problems: string[] = [];
	const refuse = (file: string, key: 'checks' | 'verify', commands: readonly string[]) => {
		for (const command of commands.filter(cannotFail)) {
			problems.push(
				`${file}: the ${key} command \`${command}\` cannot fail (its status is 0 whatever it runs), so it proves nothing\n  fix: ` +
					`remove it from "${key}", or write a command that fails when the work is not done (e.g. the tests)`,
			);
		}
	};
	const usesConfig = (key: 'checks' | 'verify') => batch.some(ticket => ticket[key] === undefined);
	if (usesConfig('checks')) refuse('.proofloop/config.json', 'checks', config.checks);
	if (usesConfig('verify')) refuse('.proofloop/config.json', 'verify', config.verify);
	for (const ticket of batch) {
		if (ticket.checks) refuse(ticket.file, 'checks', ticket.checks);
		if (ticket.verify) refuse(ticket.file, 'verify', ticket.verify);
	}
	return problems;
}
