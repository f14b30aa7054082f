import {describe, expect, it} from 'vitest';
import {diskFullCause} from '../../../source/core/disk-full.js';

describe('what counts as a full disk', () => {
	it('the errno codes, and the system message as git ends a line with it', () => {
		expect(diskFullCause(Object.assign(new Error('write'), {code: 'ENOSPC'}))).toMatch(/ENOSPC/);
		expect(diskFullCause(new Error('fatal: unable to write new index file\nerror: write /repo/.git/index.lock: No space left on device'))).toBe('the disk is full (No space left on device)');
	});

	it('not a file an agent named "file too large" that git cannot open', () => {
		expect(diskFullCause(new Error('error: open("file too large"): Permission denied\nfatal: adding files failed'))).toBeUndefined();
		expect(diskFullCause(new Error('error: open("no space left on device.txt"): Permission denied'))).toBeUndefined();
	});
});
