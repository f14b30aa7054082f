import {actionKey, type PushAction} from './source.js';

// What a push writes on GitHub, for a person reading the issue. Each comment
// ends with a marker (an HTML comment GitHub does not show) naming the action,
// so a push cut short between the comment and its record never comments twice.

export const marker = (action: PushAction): string => `<!-- proofloop:${actionKey(action).replace(/--/g, '- -').slice(0, 300)} -->`;

export function commentFor(action: Exclude<PushAction, {kind: 'file'}>): string {
	switch (action.kind) {
		case 'done':
			return [
				`proofloop: **done** (ticket ${action.ticket}): merged, its checks passed and live verification passed on the merged base.`,
				'',
				`- merge commit: \`${action.mergeCommit}\``,
				`- verify digest: \`${action.verifyDigest}\``,
				...(action.runId ? [`- run: \`${action.runId}\``] : []),
				...(action.doneAt ? [`- at: ${action.doneAt}`] : []),
				'',
				marker(action),
			].join('\n');
		case 'gated':
			return [
				`proofloop: **human-gated** (ticket ${action.ticket}) by ${action.by} at ${action.at}.`,
				'',
				`Why: ${action.reason}`,
				'',
				'The run counts it as settled; a person takes it from here (`proofloop ungate` gives it back).',
				'',
				marker(action),
			].join('\n');
		default:
			return [
				`proofloop: **${action.kind}** (ticket ${action.ticket}${action.attempts === undefined ? '' : `, after ${action.attempts} attempt${action.attempts === 1 ? '' : 's'}`}); the issue stays open.`,
				'',
				'Last reasons:',
				'',
				'```',
				action.reasons.replaceAll('```', "'''").slice(0, 4000),
				'```',
				'',
				marker(action),
			].join('\n');
	}
}

export function bodyForFiled(action: Extract<PushAction, {kind: 'file'}>): string {
	const from = action.runId ? ` during run \`${action.runId}\`` : '';
	return `${action.body.trimEnd()}\n\n---\nFiled by a proofloop worker${from} as ticket ${action.ticket}.\n\n${marker(action)}\n`;
}
