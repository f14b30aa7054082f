// The tripwire's other half: an oracle with one check taken out must fail the conformance cases that check exists for.
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const oracleDir = join(root, 'oracle');
const runner = join(oracleDir, 'conformance', 'run.mjs');

const temps: string[] = [];
afterAll(() => {
	for (const dir of temps.splice(0)) rmSync(dir, {recursive: true, force: true});
});

// Async so the four runs (each builds ~40 git repos) can go side by side.
function conformance(...args: string[]): Promise<{status: number | null; output: string}> {
	return new Promise(resolve => {
		const child = spawn(process.execPath, [runner, ...args], {cwd: root});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.on('close', status => resolve({status, output}));
	});
}

// A copy of the oracle with one edit; the edit must apply, or the test proves nothing.
function weakened(find: string, replace: string): string {
	const source = readFileSync(join(oracleDir, 'oracle.mjs'), 'utf8');
	expect(source).toContain(find);
	const dir = mkdtempSync(join(tmpdir(), 'proofloop-weak-oracle-'));
	temps.push(dir);
	const file = join(dir, 'oracle.mjs');
	writeFileSync(file, source.replace(find, replace));
	return file;
}

// Full conformance runs side by side: slow on a busy machine.
describe.concurrent('weakened oracles fail conformance', {timeout: 240_000}, () => {
	it('fails an oracle that ignores a front-matter key it does not know (depends: for deps: would drop a dependency)', async () => {
		const oracle = weakened('const [unknown] = unknownTicketKeys(data, keyLines);', 'const unknown = undefined;');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL unknown-key-depends: expected 2, got 0/);
		expect(output).toMatch(/FAIL unknown-key-other-batch: expected 2, got 0/);
	});

	it('fails an oracle that lets done pass without evidence', async () => {
		const oracle = weakened(
			"if (data.status === 'done') return judgeDone(root, base, data, evidence);",
			"if (data.status === 'done') return {passing: true, reason: 'done'};",
		);
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL done-without-merge-commit: expected 1, got 0/);
		expect(output).toMatch(/FAIL done-commit-on-other-branch: expected 1, got 0/);
		expect(output).toMatch(/conformance: \d+ passed, [1-9]\d* failed/);
	});

	it("fails an oracle that skips the merge queue's record (a forged trailered merge would count)", async () => {
		const oracle = weakened('if (ledger.ref === undefined)', "if (ledger.ref !== 'checked') return {passing: true, reason: 'done'}; if (false)");
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL ledger-forged-merge-not-recorded: expected 1, got 0/);
		expect(output).toMatch(/FAIL ledger-missing: expected 1, got 0/);
		expect(output).toMatch(/FAIL ledger-verify-digest-differs: expected 1, got 0/);
	});

	it("fails an oracle that takes a ticket file's human_gated at its word (no gate in the ledger)", async () => {
		const oracle = weakened(
			"if (data.status === 'human_gated') return judgeGated(data, evidence.ledger);",
			"if (data.status === 'human_gated') return {passing: true, reason: 'gated'};",
		);
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL human-gated-without-ledger: expected 1, got 0/);
		expect(output).toMatch(/FAIL human-gated-ledger-lacks-gate: expected 1, got 0/);
		expect(output).toMatch(/FAIL human-gated-then-ungated: expected 1, got 0/);
	});

	it('fails an oracle that goes by the first gate record instead of the latest (an ungate would not count)', async () => {
		const oracle = weakened('gates.set(record.ticket, record);', 'if (!gates.has(record.ticket)) gates.set(record.ticket, record);');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL human-gated-then-ungated: expected 1, got 0/);
	});

	it('fails an oracle that matches the merge but not its verify digest', async () => {
		const oracle = weakened('if (!digests.has(digest))', 'if (false)');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL ledger-verify-digest-differs: expected 1, got 0/);
	});

	it('fails an oracle that drops the trailer check now that the ledger exists', async () => {
		const oracle = weakened('if (!trailerBlock(message).includes(trailer)) {', 'if (false) {');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL done-commit-without-trailer: expected 1, got/);
	});

	it('fails an oracle that trusts the object store (forged loose objects under their old ids would count)', async () => {
		const oracle = weakened('if (actual !== object.id) {', 'if (false) {');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL forged-loose-objects-after-run: expected 2, got 0/);
		expect(output).toMatch(/FAIL forged-ledger-blob: expected 2, got 0/);
		expect(output).toMatch(/FAIL forged-merge-trailer: expected 2, got 0/);
		expect(output).toMatch(/FAIL human-gated-forged-gate-blob: expected 2, got 0/);
	});

	it('fails an oracle that treats an empty batch as done', async () => {
		const oracle = weakened('if (members.length === 0) {', 'if (members.length < 0) {');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL empty-batch: expected 2, got 0/);
	});

	it('fails an oracle that ignores the pinned ticket list', async () => {
		const oracle = weakened('if (manifest) checkPinned(manifest, tickets, batch);', '');
		const {status, output} = await conformance('--oracle', oracle);
		expect(status).toBe(1);
		expect(output).toMatch(/FAIL pinned-ticket-missing: expected 2, got 0/);
	});
});
