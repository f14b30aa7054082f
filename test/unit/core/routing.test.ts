import {describe, expect, it} from 'vitest';
import {agentOf, ConfigError, parseProjectConfig, workerOf} from '../../../source/core/config.js';
import {ladderOf, profileFor, profilesInUse, unknownEngineOf} from '../../../source/core/routing.js';

const engines = {
	cheap: {type: 'codex', model: 'mini', effort: 'low'},
	mid: {type: 'gemini', model: 'pro'},
	strong: {type: 'claude', model: 'opus', effort: 'high'},
};
const configWith = (routing: unknown, extra: Record<string, unknown> = {}) => parseProjectConfig(JSON.stringify({batch: 'b', engines, routing, ...extra}));

describe('routing a ticket to engine profiles', () => {
	const config = configWith({
		rules: [
			{labels: ['docs'], sizes: ['XS'], ladder: ['cheap']},
			{sizes: ['XS', 'S'], ladder: ['cheap', 'mid', 'strong']},
			{labels: ['mechanical'], ladder: ['mid', 'strong']},
		],
		ladder: ['strong'],
	});

	it('the first matching rule gives the ladder: by size estimate, by label, both when a rule names both; else the default ladder', () => {
		expect(ladderOf(config, {size: 'XS', labels: ['docs']})).toEqual({profiles: ['cheap'], why: 'routing rule 1'});
		// A rule with labels and sizes needs both: docs at size M matches no rule.
		expect(ladderOf(config, {size: 'M', labels: ['docs']})).toEqual({profiles: ['strong'], why: 'the default ladder'});
		expect(ladderOf(config, {size: 'S', labels: ['docs']})).toEqual({profiles: ['cheap', 'mid', 'strong'], why: 'routing rule 2'});
		expect(ladderOf(config, {labels: ['mechanical']})).toEqual({profiles: ['mid', 'strong'], why: 'routing rule 3'});
		expect(ladderOf(config, {})).toEqual({profiles: ['strong'], why: 'the default ladder'});
	});

	it('the ladder escalates one rung per attempt and its last rung repeats; a ticket naming its engine runs every attempt on it', () => {
		const small = {size: 'S' as const};
		expect([1, 2, 3, 4, 5].map(n => profileFor(config, small, n))).toEqual(['cheap', 'mid', 'strong', 'strong', 'strong']);
		const named = {size: 'S' as const, engine: 'mid'};
		expect([1, 2, 3].map(n => profileFor(config, named, n))).toEqual(['mid', 'mid', 'mid']);
	});

	it('no routing: every attempt runs on the config\'s "agent"', () => {
		const plain = parseProjectConfig(JSON.stringify({batch: 'b', agent: {type: 'claude'}}));
		expect(profileFor(plain, {labels: ['mechanical']}, 2)).toBeUndefined();
	});

	it('a ticket naming an undefined profile: the problem names the ticket file, the known profiles and the fix', () => {
		const problem = unknownEngineOf(config, {id: 'T-1', file: '.proofloop/tickets/T-1.md', engine: 'stronger'});
		expect(problem).toMatch(
			/^\.proofloop\/tickets\/T-1\.md: ticket T-1 names engine 'stronger', which the config does not define \(the profiles in "engines": cheap, mid, strong\)/,
		);
		expect(problem).toMatch(/fix: set "engine:" in \.proofloop\/tickets\/T-1\.md to one of them, remove it, or define 'stronger' in "engines"/);
		expect(unknownEngineOf(config, {id: 'T-2', file: 'x.md', engine: 'cheap'})).toBeUndefined();
	});

	it('the profiles a run may start: every rung of every ladder and each profile a ticket names, once', () => {
		const sparse = configWith({rules: [{labels: ['x'], ladder: ['cheap']}]});
		expect(profilesInUse(sparse, [{engine: 'strong'}, {engine: 'cheap'}, {}])).toEqual(['cheap', 'strong']);
	});
});

describe('the config of engines, routing and reviewers', () => {
	it('a rule or ladder naming an undefined profile is a config error naming the field and the fix', () => {
		expect(() => configWith({rules: [{labels: ['x'], ladder: ['cheap', 'huge']}]})).toThrow(
			/routing\.rules\.0\.ladder: no engine profile 'huge' \(the profiles in "engines": cheap, mid, strong\)[\s\S]*fix: name a profile defined in "engines"/,
		);
		expect(() => configWith({ladder: ['huge']})).toThrow(ConfigError);
	});

	it('a rule that matches on nothing, or an empty ladder, is refused', () => {
		expect(() => configWith({rules: [{ladder: ['cheap']}]})).toThrow(/a rule matches on "labels", "sizes" or both/);
		expect(() => configWith({ladder: []})).toThrow(/routing/);
	});

	it('reviewer and reviewers together are refused with the fix', () => {
		const agent = {type: 'claude'};
		expect(() => configWith({}, {reviewer: agent, reviewers: [agent]})).toThrow(
			/reviewer and reviewers are both set[\s\S]*fix: put the reviewer into "reviewers"/,
		);
	});

	it('a default ladder stands in for a missing "agent" (the worker, and the healer\'s default); rules alone do not', () => {
		expect(agentOf(configWith({ladder: ['mid', 'strong']}))).toEqual(engines.mid);
		expect(workerOf(configWith({ladder: ['mid', 'strong']}))).toEqual(engines.mid);
		expect(workerOf(configWith({rules: [{labels: ['x'], ladder: ['cheap']}]}))).toBeUndefined();
		expect(() => agentOf(configWith({rules: [{labels: ['x'], ladder: ['cheap']}]}))).toThrow(/no agent is configured/);
	});
});
