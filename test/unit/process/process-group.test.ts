import {spawn} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {killProcessGroup, processGroupAlive} from '../../../source/process/process-group.js';

describe('process groups', () => {
	it('killProcessGroup and processGroupAlive see and end a detached group', async () => {
		// A direct child of ours, so we reap it and the group really vanishes
		// (an orphaned zombie would keep a group "alive" until init reaps it).
		const child = spawn('sleep', ['30'], {detached: true, stdio: 'ignore'});
		const exited = new Promise(resolve => child.once('exit', (_code, signal) => resolve(signal)));
		const pgid = child.pid!;
		expect(processGroupAlive(pgid)).toBe(true);
		expect(killProcessGroup(pgid, 'SIGTERM')).toBe(true);
		expect(await exited).toBe('SIGTERM');
		expect(processGroupAlive(pgid)).toBe(false);
		expect(killProcessGroup(pgid)).toBe(false);
	});

	it('refuses pgids that would signal our own group or every process', () => {
		for (const bad of [0, 1, -5, 1.5, Number.NaN]) {
			expect(() => killProcessGroup(bad)).toThrow(RangeError);
			expect(() => processGroupAlive(bad)).toThrow(RangeError);
		}
	});
});
