import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {writeFileAtomic} from '../atomic-write.js';
import {actionKey, type PushAction} from './source.js';

// Pushes a remote did not take, kept in the run directory (<run>/sync-queue.json)
// and delivered by the next run or `proofloop sync push`. A result is never lost
// to an unreachable tracker.

const Entry = z.object({
	action: z.custom<PushAction>(v => typeof v === 'object' && v !== null && 'kind' in v && 'ticket' in v),
	error: z.string(),
	retryAt: z.string().optional(),
});
const Queue = z.object({pending: z.array(Entry)});
type Entry = z.infer<typeof Entry>;

export const queueFile = (runDir: string): string => path.join(runDir, 'sync-queue.json');

export function readQueue(runDir: string): Entry[] {
	const file = queueFile(runDir);
	if (!existsSync(file)) return [];
	try {
		return Queue.parse(JSON.parse(readFileSync(file, 'utf8'))).pending;
	} catch {
		return [];
	}
}

/** Replace the run's queue with `entries` (none: the file goes). */
export async function writeQueue(runDir: string, entries: Entry[]): Promise<void> {
	const file = queueFile(runDir);
	const unique = [...new Map(entries.map(e => [actionKey(e.action), e])).values()];
	if (unique.length === 0) {
		rmSync(file, {force: true});
		return;
	}
	await writeFileAtomic(file, JSON.stringify({pending: unique}, null, 1) + '\n');
}

/** Every queued push of every run under `.proofloop/runs`, with the run it is queued in. */
export function queuedPushes(runsDir: string): Array<{runDir: string; entry: Entry}> {
	if (!existsSync(runsDir)) return [];
	return readdirSync(runsDir).flatMap(name => readQueue(path.join(runsDir, name)).map(entry => ({runDir: path.join(runsDir, name), entry})));
}
