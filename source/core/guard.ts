/** Whether a repo-relative path falls under a protected path ("oracle/" is a folder, ".proofloop/config.json" a file). */
export function isProtected(file: string, protectedPaths: readonly string[]): boolean {
	return protectedPaths.some(entry => {
		const bare = entry.replace(/^\.\//, '').replace(/\/+$/, '');
		return file === bare || file.startsWith(`${bare}/`);
	});
}

export type GuardVerdict = {ok: true} | {ok: false; reason: string};

/** The diff must do something, and nothing to the verifier, the tracker or the config. */
export function guardDiff(files: readonly string[], protectedPaths: readonly string[], base: string): GuardVerdict {
	if (files.length === 0) {
		return {ok: false, reason: `the diff against ${base} is empty: the attempt changed nothing, and a change that produces no effect is not done`};
	}
	const touched = files.filter(file => isProtected(file, protectedPaths));
	if (touched.length > 0) {
		return {
			ok: false,
			reason:
				`the diff touches protected paths (${touched.join(', ')}); revert those changes: agents may not edit the oracle, ` +
				`the tickets or the proofloop config`,
		};
	}
	return {ok: true};
}
