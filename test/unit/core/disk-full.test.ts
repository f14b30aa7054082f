import {describe, expect, it} from 'vitest';
import {diskFullCause, RunUnwritableError, stopIfDiskFull} from '../../../source/core/disk-full.js';

describe('what counts as a full disk', () => {
	it('the errno codes, and the system message as git ends a line with it', () => {
		expect(diskFullCause(Object.assign(new Error('write'), {code: 'ENOSPC'}))).toMatch(/ENOSPC/);
		expect(diskFullCause(new Error('fatal: unable to write new index file\nerror: write /repo/.git/index.lock: No space left on device'))).toBe(
			'the disk is full (No space left on device)',
		);
	});

	it('not a file an agent named "file too large" that git cannot open', () => {
		expect(diskFullCause(new Error('error: open("file too large"): Permission denied\nfatal: adding files failed'))).toBeUndefined();
		expect(diskFullCause(new Error('error: open("no space left on device.txt"): Permission denied'))).toBeUndefined();
	});
});

describe('stopping a run on a full disk', () => {
	const full = Object.assign(new Error('write'), {code: 'ENOSPC', path: '/runs/r1/logs/A-1.log'});

	it("is each run's own: the run that found it stops, another run and a run without a stop go on", () => {
		const stopped: string[] = [];
		const stopper =
			(name: string) =>
			(cause: string, file: string | undefined): never => {
				stopped.push(`${name}: ${file}: ${cause}`);
				throw new RunUnwritableError(file ?? '?', '/runs', cause);
			};
		const one = {onDiskFull: stopper('one')};
		const two = {onDiskFull: stopper('two')};
		expect(() => stopIfDiskFull(one, full)).toThrow(/cannot write \/runs\/r1\/logs\/A-1\.log: the disk is full \(ENOSPC\)\.\n.*\n {2}fix: free space/);
		stopIfDiskFull(two, new Error('exit 1'));
		stopIfDiskFull({}, full);
		expect(stopped).toEqual(['one: /runs/r1/logs/A-1.log: the disk is full (ENOSPC)']);
	});
});
