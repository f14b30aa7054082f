import {readFileSync} from 'node:fs';
import {CONFIG_PATH} from './config.js';

/**
 * Mid-run, a program that cannot start (gone since the preflight, a PATH that
 * changed) is the harness's fault, not the ticket's: the attempt is not
 * charged and dispatch stops at the first one, with the fix.
 */

/** Why an agent run never really started, or undefined when it did. */
export function agentCannotStart(result: {ok: boolean; pid?: number; exitCode?: number; reason: string}, logFile: string): string | undefined {
	if (result.ok) return undefined;
	if (result.pid === undefined) return `the agent could not start: ${result.reason}`;
	if (result.exitCode === 126 || result.exitCode === 127) return `the agent's command could not start (exit ${result.exitCode}): ${result.reason}`;
	// bwrap says so itself (exit 1) when the program is not there inside the box.
	const said = tail(logFile).match(/^bwrap: execvp .*$/m)?.[0];
	return said === undefined ? undefined : `the agent could not start inside the sandbox: ${said}`;
}

/** Why a check could not start (sh: not found, not executable), or undefined. */
export function checkCannotStart(command: string, result: {exitCode?: number}): string | undefined {
	if (result.exitCode !== 126 && result.exitCode !== 127) return undefined;
	return `check \`${command}\` could not start (exit ${result.exitCode}: ${result.exitCode === 127 ? 'not found' : 'not executable'})`;
}

export const cannotStartFix =
	`fix: make the program exist where the run looks for it (\`proofloop doctor\` checks every agent, check and verify command), ` +
	`or change ${CONFIG_PATH}; then \`proofloop run\` resumes; no attempt was spent on it`;

function tail(file: string): string {
	try {
		return readFileSync(file, 'utf8').slice(-4000);
	} catch {
		return '';
	}
}
