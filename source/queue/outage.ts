import type {Redis} from 'ioredis';
import {redactUrl} from './protocol.js';

/**
 * Said once per outage instead of a line per reconnect try: ioredis retries on
 * its own (commands wait, BullMQ's blocking reads resume from their last id),
 * so a Redis that went away is news once, and again once it is back.
 */
export function sayOutages(
	url: string,
	redis: Redis,
	others: Array<{on: (event: 'error', listener: (error: Error) => void) => unknown}>,
	say: (line: string) => void,
): void {
	let down = false;
	const onError = (error: Error) => {
		if (down) return;
		down = true;
		say(`the queue at ${redactUrl(url)} is unreachable (${error.message}): waiting for it`);
	};
	redis.on('error', onError);
	for (const other of others) other.on('error', onError);
	redis.on('ready', () => {
		if (!down) return;
		down = false;
		say(`the queue at ${redactUrl(url)} is back`);
	});
}
