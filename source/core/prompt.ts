import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type {Ticket} from '../tracker/ticket.js';
import {packagePromptsDir} from './paths.js';

export type PromptName = 'worker' | 'reviewer' | 'heal' | 'plan' | 'plan-review' | 'plan-master' | 'plan-research' | 'plan-breakdown' | 'plan-batch-review';

/** A project may override any template in .proofloop/prompts/. */
export function loadTemplate(repoRoot: string, name: PromptName): string {
	const override = path.join(repoRoot, '.proofloop', 'prompts', `${name}.md`);
	if (existsSync(override)) return readFileSync(override, 'utf8');
	return readFileSync(path.join(packagePromptsDir, `${name}.md`), 'utf8');
}

/** Replace {{name}} placeholders; an unknown placeholder is an error, not a blank. */
export function renderTemplate(template: string, values: Record<string, string>): string {
	return template.replace(/{{\s*([a-z_]+)\s*}}/g, (_, key: string) => {
		const value = values[key];
		if (value === undefined) throw new Error(`prompt template uses {{${key}}}, which proofloop does not provide`);
		return value;
	});
}

export type WorkerPromptInput = {
	ticket: Ticket;
	attempt: number;
	maxAttempts: number;
	branch: string;
	base: string;
	checks: string[];
	verify: string[];
	protectedPaths: string[];
	previous: string[];
};

const bullets = (items: string[], none: string): string => (items.length > 0 ? items.map(item => `   - \`${item}\``).join('\n') : `   - ${none}`);

export function renderWorkerPrompt(repoRoot: string, input: WorkerPromptInput): string {
	return renderTemplate(loadTemplate(repoRoot, 'worker'), {
		ticket_id: input.ticket.id,
		ticket_file: input.ticket.file,
		ticket_text: input.ticket.text.trimEnd(),
		attempt: String(input.attempt),
		max_attempts: String(input.maxAttempts),
		branch: input.branch,
		base: input.base,
		checks: bullets(input.checks, '(none: the verify commands are the finish line)'),
		verify: bullets(input.verify, '(none: the checks are re-run on the merged base)'),
		protected_paths: bullets(input.protectedPaths, '(none)'),
		previous_attempts: input.previous.length > 0 ? input.previous.map(line => `- ${line}`).join('\n') : 'Nothing: this is the first attempt.',
	});
}
