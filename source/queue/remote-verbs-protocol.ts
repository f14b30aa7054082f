/**
 * Worker verbs from afar (`proofloop ticket file|note|blocked` inside a remote
 * attempt): one BullMQ job per request on the run's own verb queue, answered
 * by the coordinator with the job's return value. The job names an attempt and
 * carries that attempt's capability; the ticket is the coordinator's to know.
 */
import {z} from 'zod';
import {MAX_LINE} from '../core/line-server.js';

/** One queue per run: a coordinator takes only its own run's requests. */
export const verbQueueName = (runId: string): string => `proofloop-verbs.${runId}`;

/** Idempotent by request: the worker adds a request under this id once; adding it again finds the same job. */
export const verbJobId = (attemptId: string, requestId: string): string => `${attemptId}/v/${requestId}`;

export const VerbJob = z
	.object({
		version: z.string().max(64),
		attemptId: z.string().max(300),
		/** The attempt's secret from its job (`AttemptJob.capability`): without it nothing is answered. */
		capability: z.string().max(200),
		/** The worker's host, for the tamper log. */
		host: z.string().max(200),
		/** One request as the agent sent it, checked by the worker, and checked again by the coordinator's own channel. */
		line: z.string().max(MAX_LINE).optional(),
		/** A verb the worker refused itself (a human one): only its name travels, for the run's tamper log. */
		refused: z.string().max(64).optional(),
	})
	.strict();
export type VerbJob = z.infer<typeof VerbJob>;

export const VerbReply = z.discriminatedUnion('type', [
	z.object({type: z.literal('ok'), message: z.string().optional()}),
	z.object({type: z.literal('error'), message: z.string()}),
]);
export type VerbReply = z.infer<typeof VerbReply>;

/** A fresh attempt capability: 256 random bits as hex. */
export const capabilityPattern = /^[0-9a-f]{64}$/;
