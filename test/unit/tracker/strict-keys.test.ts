/**
 * A ticket's front matter is a closed set of keys, refused identically by the
 * tracker and the oracle: a typo'd key (depends: for deps:) names the closest
 * known one instead of silently dropping what it says.
 */
import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {closestTicketKey, TICKET_KEYS} from '../../../oracle/oracle.mjs';
import {ENGINE_KEYS} from '../../../source/core/owned-keys.js';
import {selectBatch} from '../../../source/core/batch.js';
import {ProjectConfig} from '../../../source/core/config.js';
import {TicketFrontMatter} from '../../../source/tracker/ticket.js';
import {validateTickets} from '../../../source/tracker/validate.js';

const SHA = 'a'.repeat(40);

/** A conformance case's tickets as the tracker reads them ({{commit:x}} filled with a sha). */
function caseTickets(name: string): {files: Array<{file: string; text: string}>; expected: string[]; batch: string} {
	const c = JSON.parse(readFileSync(`oracle/conformance/cases/${name}.json`, 'utf8')) as {
		tickets: Record<string, string>;
		output_includes?: string[];
		config: {batch: string};
	};
	const files = Object.entries(c.tickets).map(([file, text]) => ({file: `.proofloop/tickets/${file}`, text: text.replaceAll(/\{\{commit:\w+\}\}/g, SHA)}));
	return {files, expected: c.output_includes ?? [], batch: c.config.batch};
}

const render = (issue: {file: string; line?: number | undefined; message: string}) => `${issue.file}:${issue.line}: ${issue.message}`;

describe('strict ticket keys', () => {
	it("the oracle's key list is the zod schema's, and holds every key the engine owns", () => {
		expect([...TICKET_KEYS].sort()).toEqual(Object.keys(TicketFrontMatter.shape).sort());
		for (const key of ENGINE_KEYS) expect(TICKET_KEYS).toContain(key);
	});

	it('depends: is refused with "did you mean deps?", in the words the oracle uses (conformance case unknown-key-depends)', () => {
		const {files, expected} = caseTickets('unknown-key-depends');
		const {tickets, issues} = validateTickets(files);
		expect(tickets).toEqual([]);
		expect(issues.map(render)).toEqual(expected.map(text => `.proofloop/tickets/${text}`));
		expect(issues[0]?.fix).toBe("rename it to 'deps:'");
	});

	it('an unknown key in another batch is refused too (conformance case unknown-key-other-batch)', () => {
		const {files} = caseTickets('unknown-key-other-batch');
		const {issues} = validateTickets(files);
		expect(issues.map(render)).toEqual([".proofloop/tickets/T-9.md:6: unknown key 'owner'"]);
		expect(issues[0]?.fix).toMatch(/^remove it; a ticket's keys are id, title, status, batch, deps/);
	});

	it('a ticket without batch: reads, and lies outside the batch, as the oracle judges it (conformance case missing-batch-outside)', () => {
		const {files, batch} = caseTickets('missing-batch-outside');
		const {tickets, issues} = validateTickets(files);
		expect(issues).toEqual([]);
		expect(selectBatch(tickets, ProjectConfig.parse({batch, checks: ['test -e README.md']})).map(t => t.id)).toEqual(['T-1']);
	});

	it('every optional key and every engine-owned key is still accepted', () => {
		const text = [
			'---',
			'id: T-1',
			'title: All of them',
			'status: human_gated',
			'batch: b',
			'deps: []',
			'locks: [infra]',
			'priority: 1',
			'checks: ["npm test"]',
			'verify: ["./v.sh"]',
			'demo: "{}"',
			'engine: strong',
			'labels: [mechanical, docs]',
			'size: S',
			`merge_commit: ${SHA}`,
			'verify_digest: sha256:00',
			'done_at: "2026-01-01T00:00:00Z"',
			'attempts: 2',
			'failure: it broke',
			'gate: {by: alice, at: "2026-01-01T00:00:00Z", reason: why}',
			'allow: [scripts/v.sh]',
			'discovered_from: T-0',
			'filed_by_run: r1',
			'block: {wall: w, tried: t, evidence: e, at: "2026-01-01T00:00:00Z"}',
			'source: github#123',
			'---',
			'',
		].join('\n');
		const {issues} = validateTickets([{file: 'T-1.md', text}]);
		expect(issues).toEqual([]);
		expect(text.match(/^[a-z_]+(?=:)/gm)?.sort()).toEqual([...TICKET_KEYS].sort());
	});

	it('suggests the closest key only when one is close', () => {
		expect(closestTicketKey('depends')).toBe('deps');
		expect(closestTicketKey('dependencies')).toBe('deps');
		expect(closestTicketKey('Deps')).toBe('deps');
		expect(closestTicketKey('lock')).toBe('locks');
		expect(closestTicketKey('stauts')).toBe('status');
		expect(closestTicketKey('merged_commit')).toBe('merge_commit');
		expect(closestTicketKey('owner')).toBeUndefined();
		expect(closestTicketKey('x')).toBeUndefined();
	});
});
