/**
 * What planning a batch cost: the records `proofloop plan` keeps in
 * .proofloop/plans/<id>/plan.json, summed over the plans that wrote this
 * batch, for the run's report (the ledger shows the batch's whole cost).
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';

const PlanRecord = z.object({
	id: z.string(),
	batch: z.string(),
	outcome: z.object({ok: z.boolean()}).optional(),
	usage: z.object({inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number()}),
});

export type PlanningCost = {plans: string[]; inputTokens: number; outputTokens: number; costUsd: number};

/** The plans that wrote `batch` in the repository at `root`, and what their agents cost; undefined when none did. */
export function planningCost(root: string, batch: string): PlanningCost | undefined {
	const dir = path.join(root, '.proofloop', 'plans');
	if (!existsSync(dir)) return undefined;
	const total: PlanningCost = {plans: [], inputTokens: 0, outputTokens: 0, costUsd: 0};
	for (const name of readdirSync(dir).sort()) {
		const file = path.join(dir, name, 'plan.json');
		if (!existsSync(file)) continue;
		let record: z.infer<typeof PlanRecord>;
		try {
			record = PlanRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
		} catch {
			continue; // A plan cut off mid-write is not a plan that wrote the batch.
		}
		if (record.batch !== batch || !record.outcome?.ok) continue;
		total.plans.push(record.id);
		total.inputTokens += record.usage.inputTokens;
		total.outputTokens += record.usage.outputTokens;
		total.costUsd += record.usage.costUsd;
	}
	return total.plans.length > 0 ? total : undefined;
}
