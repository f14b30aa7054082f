import {describe, expect, it} from 'vitest';
import {CommandAdapter} from '../../../source/agents/command.js';
import {AgentConfig} from '../../../source/agents/config.js';
import {DemoAdapter} from '../../../source/agents/demo.js';
import {createAdapter} from '../../../source/agents/registry.js';
import {TextStreamParser} from '../../../source/agents/text-stream.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {attemptInput} from './helpers.js';

describe('AgentConfig and createAdapter', () => {
	it('demo -> the demo adapter, read as claude stream-json', () => {
		const adapter = createAdapter(AgentConfig.parse({type: 'demo'}));
		expect(adapter).toBeInstanceOf(DemoAdapter);
		expect(adapter.name).toBe('demo');
		expect(adapter.parser()).toBeInstanceOf(ClaudeStreamParser);
	});

	it('command -> a /bin/sh command with the output format chosen', () => {
		const text = createAdapter(AgentConfig.parse({type: 'command', command: 'agent {ticket}'}));
		expect(text).toBeInstanceOf(CommandAdapter);
		expect(text.parser()).toBeInstanceOf(TextStreamParser);
		expect(text.command(attemptInput('/w', {ticketId: 'T-7'}))).toMatchObject({file: '/bin/sh', args: ['-c', "agent 'T-7'"]});

		const json = createAdapter(AgentConfig.parse({type: 'command', command: 'agent --model {model}', output: 'claude-stream-json', model: 'big'}));
		expect(json.parser()).toBeInstanceOf(ClaudeStreamParser);
		expect(json.command(attemptInput('/w')).args).toEqual(['-c', "agent --model 'big'"]);
		expect(json.command(attemptInput('/w', {model: 'small'})).args).toEqual(['-c', "agent --model 'small'"]);
	});

	it('rejects unknown types, typo\'d keys, an empty command and unknown outputs', () => {
		for (const bad of [
			{type: 'claude-but-not-yet'},
			{type: 'demo', model: 'x'},
			{type: 'command', command: 'a', ouptut: 'text'},
			{type: 'command', command: ''},
			{type: 'command', command: 'a', output: 'json'},
			{},
		]) {
			expect(AgentConfig.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
		}
	});
});
