import {z} from 'zod';
import {EngineEvent} from './events.js';

// Two kinds of channel, newline-delimited JSON over local sockets. The human
// channel (a 0700 dir no agent is given, a per-engine key) serves what changes
// what runs or what counts as done; each attempt's worker channel serves only
// the worker verbs, for its own ticket. Who is talking is the channel's to
// say: a `by` or `from` a client writes is never an identity. There is no
// message that marks a ticket done, edits a ticket or changes the batch.

const requestId = z.string().max(64).optional();
/** Old clients send who they are; it is accepted and ignored (the engine records the channel's owner). */
const claimedBy = z.string().max(200).optional();

/** The first message on the human channel: the run's key, read from its 0600 file. */
const Auth = z.object({type: z.literal('auth'), id: requestId, key: z.string().min(1).max(200)}).strict();

/** The human verbs: everything that changes what runs or what counts as done. Add new ones here and in HumanHandlers. */
export const HumanAct = z.discriminatedUnion('type', [
	z.object({type: z.literal('pause'), id: requestId, by: claimedBy}).strict(),
	z.object({type: z.literal('resume'), id: requestId, by: claimedBy}).strict(),
	z
		.object({type: z.literal('gate'), id: requestId, by: claimedBy, ticket: z.string().min(1), reason: z.string().trim().min(1, 'a gate needs a reason')})
		.strict(),
	z.object({type: z.literal('ungate'), id: requestId, by: claimedBy, ticket: z.string().min(1)}).strict(),
	z.object({type: z.literal('stop'), id: requestId, by: claimedBy}).strict(),
	// A failed or blocked ticket back to todo with a fresh budget; reset also drops its branch and checkout.
	z
		.object({type: z.literal('retry'), id: requestId, by: claimedBy, ticket: z.string().min(1), reason: z.string().trim().min(1, 'say why (--reason)')})
		.strict(),
	z
		.object({type: z.literal('reset'), id: requestId, by: claimedBy, ticket: z.string().min(1), reason: z.string().trim().min(1, 'say why (--reason)')})
		.strict(),
]);
export type HumanAct = z.infer<typeof HumanAct>;

export const HumanRequest = z.discriminatedUnion('type', [
	Auth,
	z.object({type: z.literal('subscribe'), id: requestId}).strict(),
	z.object({type: z.literal('status'), id: requestId}).strict(),
	...HumanAct.options,
]);
export type HumanRequest = z.infer<typeof HumanRequest>;

/** Every type the human channel knows: on a worker channel each is a tamper attempt. */
export const HUMAN_TYPES: ReadonlySet<string> = new Set(HumanRequest.options.map(option => option.shape.type.value));

/** The worker verbs (`proofloop ticket file|note|blocked`): the ticket and attempt are the channel's. */
export const WorkerRequest = z.discriminatedUnion('type', [
	z
		.object({
			type: z.literal('file'),
			id: requestId,
			title: z.string().trim().min(1, 'a filed ticket needs a title (--title)'),
			body: z.string().trim().min(1, 'a filed ticket needs a body saying scope and acceptance (--body-file)'),
			deps: z.array(z.string().min(1)).default([]),
			locks: z.array(z.string().min(1)).default([]),
			blocks: z.string().min(1).optional(),
		})
		.strict(),
	z.object({type: z.literal('note'), id: requestId, text: z.string().trim().min(1, 'a note needs text')}).strict(),
	z
		.object({
			type: z.literal('blocked'),
			id: requestId,
			wall: z.string().trim().min(1, 'name the external wall (--wall): what outside this repo stops you'),
			evidence: z.string().trim().min(1, 'a blocked claim needs evidence (--evidence-file): the error, the response, the log'),
			tried: z.string().trim().min(1, 'say what you tried (--tried) before calling it a wall'),
		})
		.strict(),
]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;
export const WORKER_TYPES: ReadonlySet<string> = new Set(WorkerRequest.options.map(option => option.shape.type.value));

/** What the engine's handlers get: a worker request stamped with the channel's ticket. */
export type ControlRequest = HumanRequest | (WorkerRequest & {from: string});
/** What a client may put on the wire. */
export type WireRequest = HumanRequest | WorkerRequest;

export const StatusSummary = z.object({
	runId: z.string(),
	batch: z.string(),
	pid: z.number(),
	paused: z.boolean(),
	stopping: z.boolean(),
	running: z.array(z.object({ticket: z.string(), attempt: z.number(), maxAttempts: z.number().optional(), stage: z.string()})),
	counts: z.record(z.string(), z.number()),
	oracle: z.object({exit: z.number(), verdict: z.string(), summary: z.string()}).optional(),
	interventions: z.number(),
	/** How this engine's agents run: `none` is an unsandboxed run. */
	sandbox: z.enum(['bwrap', 'none']).optional(),
	/** Human verbs refused on a worker channel (or without the key): tamper attempts. */
	tampers: z.number().optional(),
	/** A person's checkouts of base the run left as they have them, each with the whole notice. */
	checkoutsKept: z.array(z.object({path: z.string(), notice: z.string(), footer: z.string()})).optional(),
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

export type Parsed<T> = {ok: true; request: T} | {ok: false; message: string; id?: string; type?: string};

/** Parse one line from a peer against a channel's schema; an error says what was wrong, and the type it claimed. */
export function parseRequest<T>(line: string, schema: z.ZodType<T>): Parsed<T> {
	let raw: unknown;
	try {
		raw = JSON.parse(line);
	} catch {
		return {ok: false, message: 'not JSON: each message is one JSON object on one line'};
	}
	const field = (name: string): string | undefined => {
		const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
		return typeof value === 'string' ? value : undefined;
	};
	const id = field('id')?.slice(0, 64);
	const type = field('type')?.slice(0, 64);
	const parsed = schema.safeParse(raw);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
		return {ok: false, message: `invalid message: ${where}${issue?.message ?? 'unknown shape'}`, ...(id ? {id} : {}), ...(type ? {type} : {})};
	}
	return {ok: true, request: parsed.data};
}
