import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {z} from 'zod';
import {agentOf, ConfigError, ProjectConfig, parseProjectConfig} from '../../../source/core/config.js';

describe('project config', () => {
	it('fills every default from a config that names only the batch', () => {
		const config = parseProjectConfig('{"batch": "b1"}');
		expect(config).toMatchObject({batch: 'b1', base: 'main', concurrency: 3, attempts: 3, tracker: {dir: '.proofloop/tickets'}});
	});

	it('never defaults the agent to the demo engine: with none configured, agentOf names the file and the fix', () => {
		const config = parseProjectConfig('{"batch": "b1"}');
		expect(config.agent).toBeUndefined();
		expect(() => agentOf(config)).toThrow(ConfigError);
		expect(() => agentOf(config)).toThrow(/\.proofloop\/config\.json: no agent is configured[\s\S]*fix: set "agent"/);
		expect(agentOf(parseProjectConfig('{"batch": "b1", "agent": {"type": "demo"}}'))).toEqual({type: 'demo'});
	});

	it('lets the project file win over a user preference, and the preference fill a gap', () => {
		const pref = {defaultAgent: {type: 'command' as const, command: 'x {prompt_file}'}};
		expect(parseProjectConfig('{"batch": "b", "agent": {"type": "demo"}}', pref).agent).toEqual({type: 'demo'});
		expect(parseProjectConfig('{"batch": "b"}', pref).agent).toEqual(pref.defaultAgent);
	});

	it('names the field and the fix for bad values, unknown keys and bad JSON', () => {
		expect(() => parseProjectConfig('{"batch": "b", "concurrency": 0}')).toThrow(/concurrency/);
		expect(() => parseProjectConfig('{"batch": "b", "concurency": 2}')).toThrow(/concurency/);
		expect(() => parseProjectConfig('{"batch": "b", "agent": {"type": "gpt-9"}}')).toThrow(/agent/);
		expect(() => parseProjectConfig('{"batch": ')).toThrow(ConfigError);
		expect(() => parseProjectConfig('{}')).toThrow(/batch/);
		// agentCaps names agent types: an unknown one is refused with the field (the run exits 2 on any ConfigError).
		expect(() => parseProjectConfig('{"batch": "b", "agentCaps": {"gpt": 2}}')).toThrow(/agentCaps: Unrecognized key: "gpt"/);
		expect(parseProjectConfig('{"batch": "b", "agentCaps": {"command": 2}}').agentCaps).toEqual({command: 2});
	});

	it('ships a JSON Schema generated from the zod schema, and it is current', async () => {
		const shipped = JSON.parse(readFileSync('schema/config.schema.json', 'utf8'));
		const fresh = {...z.toJSONSchema(ProjectConfig, {io: 'input', unrepresentable: 'any'}), title: shipped.title};
		expect(shipped).toEqual(JSON.parse(JSON.stringify(fresh)));
		expect(Object.keys(shipped.properties)).toEqual(
			expect.arrayContaining([
				'tracker',
				'batch',
				'base',
				'concurrency',
				'agent',
				'attempts',
				'attemptTimeoutSeconds',
				'checks',
				'verify',
				'locks',
				'protectedPaths',
			]),
		);
	});
});
