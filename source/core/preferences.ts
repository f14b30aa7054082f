import Conf from 'conf';
import {z} from 'zod';
import {AgentConfig} from '../agents/config.js';

// What follows a person across repos: their usual engines. The
// project's .proofloop/config.json always wins where both speak.
export const Preferences = z.object({
	defaultAgent: AgentConfig.optional(),
	defaultReviewer: AgentConfig.optional(),
});
export type Preferences = z.infer<typeof Preferences>;

/**
 * Read the user's preferences. PROOFLOOP_CONFIG_HOME moves the store (tests,
 * CI, several identities); an invalid store is reported, never half-used.
 */
export function loadPreferences(env: NodeJS.ProcessEnv = process.env): Preferences {
	const store = new Conf<Record<string, unknown>>({
		projectName: 'proofloop',
		...(env.PROOFLOOP_CONFIG_HOME ? {cwd: env.PROOFLOOP_CONFIG_HOME} : {}),
	});
	const parsed = Preferences.safeParse(store.store);
	if (!parsed.success) {
		const fields = parsed.error.issues.map(i => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
		throw new Error(`user preferences at ${store.path} are invalid (${fields})\n  fix: correct or delete that file`);
	}
	return parsed.data;
}
