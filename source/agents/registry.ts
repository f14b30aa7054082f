/** Config -> adapter. One case per member of the AgentConfig union. */
import type {AgentAdapter} from './adapter.js';
import {CommandAdapter} from './command.js';
import type {AgentConfig} from './config.js';
import {DemoAdapter} from './demo.js';

export function createAdapter(config: AgentConfig): AgentAdapter {
	switch (config.type) {
		case 'demo':
			return new DemoAdapter();
		case 'command':
			return new CommandAdapter({command: config.command, output: config.output, model: config.model});
		default: {
			// A new union member without a case here fails to compile.
			const unknown: never = config;
			throw new Error(`unknown agent type: ${JSON.stringify(unknown)}`);
		}
	}
}
