import {it} from 'vitest';
import {EventEmitter} from 'node:events';
import {attachTui} from '../../../source/ui/attach.js';
import {fixtureEvents, RUN_ID, stamp} from './helpers.js';

it('debug', async () => {
	const chunks: string[] = [];
	const stdout = Object.assign(new EventEmitter(), {isTTY: true, columns: 120, rows: 30, write: (c: string, cb?: () => void) => { chunks.push(c); cb?.(); return true; }});
	const stdin = Object.assign(new EventEmitter(), {isTTY: true, setRawMode() {}, setEncoding() {}, ref() {}, unref() {}, resume() {}, pause() {}, read: () => null});
	let listener: any;
	const client = {subscribe(l: any) { listener = l; setImmediate(() => fixtureEvents().forEach(e => l(e))); }, onClose() {}, pause: async () => {}, resume: async () => {}, gate: async () => {}, stop: async () => {}};
	const result = attachTui({client, repoRoot: '/x', runId: RUN_ID, maxAttempts: 3, finalMs: 150, stdout: stdout as any, stdin: stdin as any});
	await new Promise(r => setTimeout(r, 300));
	console.log('emit stop');
	stamp([{type: 'run.stopped', reason: 'finished', oracleExit: 0}], 100).forEach(e => listener(e));
	const t = setInterval(() => console.log('tick', chunks.length, chunks.join('').includes('FINISHED')), 200);
	const r = await Promise.race([result, new Promise(res => setTimeout(() => res('timeout'), 2000))]);
	clearInterval(t);
	console.log('result', r);
});
