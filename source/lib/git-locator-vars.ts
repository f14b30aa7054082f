// Variables that make git ignore `cwd` and act on another repository or index.
// They are set when we run under a git hook (a pre-commit hook running the
// test suite sets GIT_INDEX_FILE). No imports: `proofloop oracle` reads this without the git layer.
export const locatorVars = [
	'GIT_DIR',
	'GIT_WORK_TREE',
	'GIT_INDEX_FILE',
	'GIT_COMMON_DIR',
	'GIT_OBJECT_DIRECTORY',
	'GIT_ALTERNATE_OBJECT_DIRECTORIES',
	'GIT_NAMESPACE',
	'GIT_PREFIX',
	'GIT_QUARANTINE_PATH',
];
