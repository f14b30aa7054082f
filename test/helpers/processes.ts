import {readdirSync, readFileSync} from 'node:fs';

/** Live processes whose command line carries `tag` (a zombie's is empty: it runs nothing). */
export function tagged(tag: string): number[] {
	return readdirSync('/proc')
		.filter(entry => /^\d+$/.test(entry))
		.filter(entry => {
			try {
				return readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(tag);
			} catch {
				return false;
			}
		})
		.map(Number);
}

/** A process's arguments ([] once it is gone, and while it is in execve: the new image's are not set up yet). */
export function commandLine(pid: number): string[] {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
	} catch {
		return [];
	}
}
