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
