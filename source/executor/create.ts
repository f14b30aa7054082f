import type {ExecutorConfig} from './config.js';
import type {AttemptExecutor} from './executor.js';
import {localExecutor} from './local.js';

/** The run's executor from the config; the queue's (and BullMQ with it) is loaded only when the config asks for it. */
export async function createExecutor(config: ExecutorConfig): Promise<AttemptExecutor> {
	if (config.kind === 'local') return localExecutor;
	return (await import('./queue.js')).queueExecutor(config);
}
