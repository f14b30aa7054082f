import {accessSync, constants, statSync} from 'node:fs';
import path from 'node:path';

/** A regular file this process may execute. */
export function isExecutable(file: string): boolean {
	try {
		if (!statSync(file).isFile()) return false;
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** What a shell runs for `name` with this PATH value (a name with a slash is a path), or undefined. */
export function findOnPath(name: string, pathValue: string | undefined): string | undefined {
	if (name.includes('/')) return isExecutable(path.resolve(name)) ? path.resolve(name) : undefined;
	return (pathValue ?? '')
		.split(path.delimiter)
		.filter(dir => dir !== '')
		.map(dir => path.join(dir, name))
		.find(file => isExecutable(file));
}
