import {z} from 'zod';
import {EngineEvent} from './events.js';

// The control channel: newline-delimited JSON over a local socket in the run
// directory (owner-only). Every message is validated; a malformed or unknown
// one gets an error reply and changes nothing. Note what is absent: there is
// no message that marks a ticket done, edits a ticket or changes the batch.

const requestId = z.string().max(64).optional();
const who = z.string().min(1).max(200);

export const ControlRequest = z.discriminatedUnion('type', [
	z.object({type: z.literal('subscribe'), id: requestId}).strict(),
	z.object({type: z.literal('status'), id: requestId}).strict(),
	z.object({type: z.literal('pause'), id: requestId, by: who}).strict(),
	z.object({type: z.literal('resume'), id: requestId, by: who}).strict(),
	z.object({type: z.literal('gate'), id: requestId, by: who, ticket: z.string().min(1), reason: z.string().trim().min(1, 'a gate needs a reason')}).strict(),
	z.object({type: z.literal('ungate'), id: requestId, by: who, ticket: z.string().min(1)}).strict(),
	z.object({type: z.literal('stop'), id: requestId, by: who}).strict(),
	// From a worker (its ticket comes from the PROOFLOOP_TICKET the engine gave it).
	z
		.object({
			type: z.literal('file'),
			id: requestId,
			from: z.string().min(1),
			title: z.string().trim().min(1, 'a filed ticket needs a title (--title)'),
			body: z.string().trim().min(1, 'a filed ticket needs a body saying scope and acceptance (--body-file)'),
			deps: z.array(z.string().min(1)).default([]),
			locks: z.array(z.string().min(1)).default([]),
			blocks: z.string().min(1).optional(),
		})
		.strict(),
	z.object({type: z.literal('note'), id: requestId, from: z.string().min(1), text: z.string().trim().min(1, 'a note needs text')}).strict(),
	z
		.object({
			type: z.literal('blocked'),
			id: requestId,
			from: z.string().min(1),
			wall: z.string().trim().min(1, 'name the external wall (--wall): what outside this repo stops you'),
			evidence: z.string().trim().min(1, 'a blocked claim needs evidence (--evidence-file): the error, the response, the log'),
			tried: z.string().trim().min(1, 'say what you tried (--tried) before calling it a wall'),
		})
		.strict(),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;
export type ControlRequestType = ControlRequest['type'];

export const StatusSummary = z.object({
	runId: z.string(),
	batch: z.string(),
	pid: z.number(),
	paused: z.boolean(),
	stopping: z.boolean(),
	running: z.array(z.object({ticket: z.string(), attempt: z.number(), stage: z.string()})),
	counts: z.record(z.string(), z.number()),
	oracle: z.object({exit: z.number(), verdict: z.string(), summary: z.string()}).optional(),
	interventions: z.number(),
});
export type StatusSummary = z.infer<typeof StatusSummary>;

export const ControlReply = z.discriminatedUnion('type', [
	z.object({type: z.literal('event'), event: EngineEvent}),
	z.object({type: z.literal('ok'), id: requestId, message: z.string().optional()}),
	z.object({type: z.literal('status'), id: requestId, status: StatusSummary}),
	z.object({type: z.literal('error'), id: requestId, message: z.string()}),
]);
export type ControlReply = z.infer<typeof ControlReply>;

/** What a client may ask of a running engine; the TUI gets exactly this, nothing more. */
export interface Control {
	pause(): Promise<void>;
	resume(): Promise<void>;
	gate(ticket: string, reason: string): Promise<void>;
	stop(): Promise<void>;
}

/** Parse one line from a peer; an error message says what was wrong with it. */
export function parseRequest(line: string): {ok: true; request: ControlRequest} | {ok: false; message: string; id?: string} {
	let raw: unknown;
	try {
		raw = JSON.parse(line);
	} catch {
		return {ok: false, message: 'not JSON: each message is one JSON object on one line'};
	}
	const id = typeof raw === 'object' && raw !== null && typeof (raw as {id?: unknown}).id === 'string' ? (raw as {id: string}).id : undefined;
	const parsed = ControlRequest.safeParse(raw);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
		return {ok: false, message: `invalid message: ${where}${issue?.message ?? 'unknown shape'}`, ...(id ? {id} : {})};
	}
	return {ok: true, request: parsed.data};
}
