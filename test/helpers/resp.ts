import {connect} from 'node:net';
import {connect as connectTls} from 'node:tls';

/** A Redis reply as RESP2 gives it: a status or bulk string, an integer, null, an array, or an error reply. */
export type RespReply = string | number | null | RespReply[] | RespError;

export class RespError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'RespError';
	}
}

const encode = (args: string[]): string => `*${args.length}\r\n${args.map(a => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** One reply from the front of `buf`, or undefined while it is incomplete. */
function parse(buf: Buffer, at = 0): {reply: RespReply; end: number} | undefined {
	const eol = buf.indexOf('\r\n', at);
	if (eol < 0) return undefined;
	const head = buf.toString('utf8', at + 1, eol);
	const next = eol + 2;
	switch (String.fromCharCode(buf[at]!)) {
		case '+':
			return {reply: head, end: next};
		case '-':
			return {reply: new RespError(head), end: next};
		case ':':
			return {reply: Number(head), end: next};
		case '$': {
			const length = Number(head);
			if (length < 0) return {reply: null, end: next};
			if (buf.length < next + length + 2) return undefined;
			return {reply: buf.toString('utf8', next, next + length), end: next + length + 2};
		}
		case '*': {
			const count = Number(head);
			if (count < 0) return {reply: null, end: next};
			const items: RespReply[] = [];
			let end = next;
			for (let i = 0; i < count; i++) {
				const item = parse(buf, end);
				if (!item) return undefined;
				items.push(item.reply);
				end = item.end;
			}
			return {reply: items, end};
		}
		default:
			throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('utf8', at, Math.min(buf.length, at + 40)))}`);
	}
}

/**
 * Send commands to a Redis server on one fresh connection and return their replies, in order
 * (an error reply is returned, not thrown). The tests' own small client: no dependency on the
 * client library under test.
 */
export function redisCommands(port: number, commands: string[][], timeoutMs = 5000, tls?: {ca: string}): Promise<RespReply[]> {
	return new Promise((resolve, reject) => {
		const socket = tls ? connectTls({host: '127.0.0.1', port, ca: tls.ca}) : connect({host: '127.0.0.1', port});
		let buf = Buffer.alloc(0);
		const replies: RespReply[] = [];
		const fail = (error: Error) => {
			socket.destroy();
			reject(error);
		};
		socket.setTimeout(timeoutMs, () => fail(new Error(`redis on port ${port}: no reply within ${timeoutMs} ms`)));
		socket.on('error', fail);
		socket.on(tls ? 'secureConnect' : 'connect', () => socket.write(commands.map(encode).join('')));
		socket.on('data', chunk => {
			buf = Buffer.concat([buf, chunk]);
			for (let parsed = parse(buf); parsed; parsed = parse(buf)) {
				replies.push(parsed.reply);
				buf = buf.subarray(parsed.end);
			}
			if (replies.length >= commands.length) {
				socket.end();
				resolve(replies);
			}
		});
		socket.on('close', () => {
			if (replies.length < commands.length) fail(new Error(`redis on port ${port}: connection closed after ${replies.length} of ${commands.length} replies`));
		});
	});
}
