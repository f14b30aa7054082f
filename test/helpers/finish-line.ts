import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';

/**
 * A finish line that lives in the repository, as tamper tests need it: npm
 * scripts, a smoke script and a test, each failing until feature.txt exists
 * (only real work passes them). Committed on the repo's branch.
 */
export function commitRepoFinishLine(root: string): void {
	writeFileSync(
		path.join(root, 'package.json'),
		JSON.stringify({name: 'x', private: true, scripts: {test: 'node --test test/', smoke: 'node scripts/smoke.mjs'}}, null, 2),
	);
	mkdirSync(path.join(root, 'scripts'));
	mkdirSync(path.join(root, 'test'));
	writeFileSync(path.join(root, 'scripts/smoke.mjs'), "import {existsSync} from 'node:fs';\nprocess.exit(existsSync('feature.txt') ? 0 : 1);\n");
	writeFileSync(
		path.join(root, 'test/feature.test.mjs'),
		"import {test} from 'node:test';\nimport assert from 'node:assert';\nimport {existsSync} from 'node:fs';\ntest('the feature exists', () => assert.ok(existsSync('feature.txt')));\n",
	);
	execaSync('git', ['add', '-A'], {cwd: root});
	execaSync('git', ['commit', '-q', '-m', 'the finish line'], {cwd: root});
}
