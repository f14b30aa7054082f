// The agents layer's public face: the engine imports from here.
export type {AgentAdapter, AgentCommand, AgentEvent, AttemptInput, StreamParser} from './adapter.js';
export {runAgent, killProcessGroup, processGroupAlive, type AgentRunResult, type AgentUsage, type RunAgentOptions} from './runner.js';
export {ClaudeStreamParser, toolDetail} from './claude-stream.js';
export {TextStreamParser} from './text-stream.js';
export {CommandAdapter, renderCommand, shellQuote, type CommandAdapterOptions, type CommandOutput} from './command.js';
export {DemoAdapter, demoEnginePath} from './demo.js';
export {AgentConfig, CommandAgentConfig, DemoAgentConfig} from './config.js';
export {createAdapter} from './registry.js';
