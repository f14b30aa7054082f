import {z} from 'zod';

/** What a person may be told about: the run is over, it stopped short, or it waits on a person. */
export const NOTIFY_KINDS = ['run.finished', 'run.stuck', 'person.needed'] as const;
export const NotifyKind = z.enum(NOTIFY_KINDS);
export type NotifyKind = z.infer<typeof NotifyKind>;

const Webhook = z.union([
	z.url({protocol: /^https?$/}),
	z
		.object({
			url: z.url({protocol: /^https?$/}),
			headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers (an Authorization token, say).'),
		})
		.strict(),
]);

// A notifier runs outside every box (the user's command, the user's network): a healer may not change it (heal.ts).
export const NotifyConfig = z
	.object({
		on: z
			.array(NotifyKind)
			.default([...NOTIFY_KINDS])
			.describe(`Which notifications go out: ${NOTIFY_KINDS.join(', ')} (default: all).`),
		command: z
			.string()
			.min(1)
			.optional()
			.describe('A shell command run for each notification, with the notification as one JSON object on its stdin (e.g. "tee -a ~/proofloop-events.jsonl").'),
		webhook: Webhook.optional().describe(
			'A URL that receives each notification as a POST of JSON: a Slack-compatible {"text": ...} plus the structured fields (kind, runId, verdict, ticket, ' +
				'...). A string, or {"url", "headers"}.',
		),
		desktop: z
			.boolean()
			.default(false)
			.describe('A desktop notification (notify-send on Linux, osascript on macOS) where one is available; silently none otherwise.'),
		bell: z.boolean().default(true).describe('Ring the terminal bell in an attached TUI.'),
		timeoutSeconds: z
			.number()
			.positive()
			.max(120)
			.default(5)
			.describe('How long one notifier may take; a slower one is killed (or aborted) and logged as a warning. The run never waits longer than this for it.'),
	})
	.strict();
export type NotifyConfig = z.infer<typeof NotifyConfig>;

export const NOTIFY_DEFAULT: NotifyConfig = {on: [...NOTIFY_KINDS], desktop: false, bell: true, timeoutSeconds: 5};
