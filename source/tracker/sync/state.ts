import {mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {writeFileAtomic} from '../atomic-write.js';

// What a sync remembers between runs, in .proofloop/sync/<source>.json (a
// protected path: no agent writes it): the watermark and conditional-request
// cache of the remote (its source's own), which pushes the remote has, and the
// issues made for tickets a worker filed. Written only when it changed.

export const SyncState = z.object({
	version: z.literal(1),
	/** The source's own cache: ETags, database ids, each issue's last updated_at. */
	cache: z.record(z.string(), z.unknown()).default({}),
	/** Action keys the remote has (actionKey), with when; or "gone <when>: why" when its issue was deleted. */
	delivered: z.record(z.string(), z.string()).default({}),
	/** Ticket id -> source key of an issue made for it (a filed ticket); pull writes it into the ticket. */
	created: z.record(z.string(), z.string()).default({}),
	/** Ticket file -> hash of its title, locks and body as the last pull left them: a change since is the person's own (pull-edits.ts). */
	pulled: z.record(z.string(), z.string()).default({}),
});
export type SyncState = z.infer<typeof SyncState>;

export const syncStateFile = (root: string, source: string): string => path.join(root, '.proofloop', 'sync', `${source}.json`);

export function readSyncState(file: string): SyncState {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch {
		return {version: 1, cache: {}, delivered: {}, created: {}, pulled: {}};
	}
	const parsed = SyncState.safeParse(JSON.parse(text));
	if (!parsed.success)
		throw new Error(
			`${file} does not read (${parsed.error.issues[0]?.message})\n  fix: delete it; the next sync rebuilds it (its pushes are found again by their markers)`,
		);
	return parsed.data;
}

/** Write the state when it differs from what the file holds; returns whether it wrote. */
export async function saveSyncState(file: string, state: SyncState): Promise<boolean> {
	const text = JSON.stringify(state, null, 1) + '\n';
	try {
		if (readFileSync(file, 'utf8') === text) return false;
	} catch {
		// Not there yet.
	}
	mkdirSync(path.dirname(file), {recursive: true});
	await writeFileAtomic(file, text);
	return true;
}
