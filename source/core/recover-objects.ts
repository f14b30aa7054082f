import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {importWorktreeObjects} from '../agents/agent-objects.js';
import type {EngineContext} from './context.js';

/**
 * A sandboxed agent killed with its engine never had its objects taken in: its
 * branch names commits only its own store holds. Before a resumed run reads
 * any branch (the diff a fresh attempt saves, a parked attempt's work), every
 * ticket checkout's store is taken in, through the same checked import.
 */
export async function recoverAgentObjects(ctx: EngineContext): Promise<void> {
	const dir = path.dirname(ctx.repo.worktreePath('x'));
	if (!existsSync(dir)) return;
	for (const name of readdirSync(dir)) {
		const checkout = path.join(dir, name);
		try {
			const result = await importWorktreeObjects(checkout);
			if (result?.refused.length)
				ctx.log.append({
					type: 'warning',
					message: `${checkout}: objects its agent left that do not match their ids were not taken: ${result.refused.slice(0, 3).join(', ')}`,
				});
		} catch (error) {
			ctx.log.append({type: 'warning', message: `${checkout}: could not take in the objects its agent left: ${(error as Error).message}`});
		}
	}
}
