import {chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {channelDirFor, channelsRoot, ensurePrivateDir, prepareChannelDir, readKey, sameKey} from '../../../source/core/channel-dir.js';

const temp = () => mkdtempSync(path.join(tmpdir(), 'pl-chan-unit-'));

describe("the run's channel directory", () => {
	it('is private: 0700, a 0600 key of 64 hex digits new at every engine start, stale worker sockets cleared', () => {
		const root = temp();
		const channel = channelDirFor('/some/repo/.proofloop/runs/r1', {XDG_RUNTIME_DIR: root});
		expect(channel.dir.startsWith(path.join(root, 'proofloop'))).toBe(true);
		expect(Buffer.byteLength(channel.socket)).toBeLessThan(100);
		const first = prepareChannelDir(channel);
		expect(statSync(channel.dir).mode & 0o777).toBe(0o700);
		expect(statSync(path.dirname(channel.dir)).mode & 0o777).toBe(0o700);
		expect(statSync(channel.keyFile).mode & 0o777).toBe(0o600);
		expect(first).toMatch(/^[0-9a-f]{64}$/);
		expect(readKey(channel)).toBe(first);
		writeFileSync(path.join(channel.dir, 'w-0123abcd.sock'), '');
		const second = prepareChannelDir(channel);
		expect(second).not.toBe(first);
		expect(existsSync(path.join(channel.dir, 'w-0123abcd.sock'))).toBe(false);
		expect(sameKey(second, second)).toBe(true);
		expect(sameKey(first, second)).toBe(false);
		expect(sameKey('short', second)).toBe(false);
	});

	it('refuses to send the key to a directory others can read, and to live in one another user made', () => {
		const root = temp();
		const channel = channelDirFor('/r', {XDG_RUNTIME_DIR: root});
		prepareChannelDir(channel);
		chmodSync(channel.dir, 0o755);
		expect(() => readKey(channel)).toThrow(/not a private directory of this user.*\n {2}fix:/);
		if (process.getuid?.() === 0) {
			const squatted = path.join(temp(), 'proofloop-0');
			mkdirSync(squatted);
			chownSync(squatted, 65534, 65534);
			expect(() => ensurePrivateDir(squatted)).toThrow(/not a directory of this user.*\n {2}fix:/);
		}
	});

	it('lives in the runtime dir when it is ours, else in the temp dir named by uid', () => {
		expect(channelsRoot({XDG_RUNTIME_DIR: '/nonexistent/run'})).toBe(path.join(tmpdir(), `proofloop-${process.getuid?.() ?? 0}`));
		const runtime = temp();
		expect(channelsRoot({XDG_RUNTIME_DIR: runtime})).toBe(path.join(runtime, 'proofloop'));
	});
});
