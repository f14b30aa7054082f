import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../../../source/core/events.js';
import {notificationOf} from '../../../../source/core/notify/notification.js';
import {desktopNotifier, redactUrl, slackEscape} from '../../../../source/core/notify/send.js';
import {parseProjectConfig} from '../../../../source/core/config.js';
import {withBell} from '../../../../source/ui/bell.js';

const run = {runId: 'R', batch: 'b', repo: '/r'};
const at = new Date().toISOString();
const ev = (e: Record<string, unknown>): EngineEvent => ({seq: 1, at, ...e}) as EngineEvent;
const verdict = {exit: 0, verdict: 'done', summary: '1/1 tickets done or human-gated'};

describe('which events a person is told about', () => {
	it('the run finished, with the verdict; stuck and halted say stopped short; a stop a person asked for says nothing', () => {
		expect(notificationOf(ev({type: 'run.stopped', reason: 'finished', oracleExit: 0}), run, verdict)).toMatchObject({
			kind: 'run.finished',
			verdict,
			message: 'run R finished: oracle exit 0 (done): 1/1 tickets done or human-gated',
		});
		expect(notificationOf(ev({type: 'run.stopped', reason: 'stuck', oracleExit: 1, detail: 'see x/stop-report.md'}), run, undefined)).toMatchObject({
			kind: 'run.stuck',
			reason: 'stuck',
			verdict: {exit: 1},
			message: 'run R stopped short (stuck): oracle exit 1; see x/stop-report.md',
		});
		expect(notificationOf(ev({type: 'run.stopped', reason: 'halted', oracleExit: 1}), run, undefined)?.kind).toBe('run.stuck');
		expect(notificationOf(ev({type: 'run.stopped', reason: 'signal'}), run, undefined)).toBeUndefined();
		expect(notificationOf(ev({type: 'warning', fatal: true, message: 'the engine hit an error and stops: boom'}), run, undefined)).toMatchObject({
			kind: 'run.stuck',
			reason: 'error',
			message: 'run R stopped on an error: the engine hit an error and stops: boom; `proofloop run` resumes it',
		});
	});

	it('a person is needed for a blocker that stood, a refused heal, a refused tamper and a spent budget; not for a challenged claim or a plain warning', () => {
		const blocked = {type: 'ticket.blocked', ticket: 'T-1', attempt: 2, wall: 'quota', evidence: 'e', tried: 't'};
		expect(notificationOf(ev({...blocked, challenged: false}), run, undefined)).toMatchObject({
			kind: 'person.needed',
			reason: 'blocked',
			ticket: 'T-1',
			attempt: 2,
		});
		expect(notificationOf(ev({...blocked, challenged: true}), run, undefined)).toBeUndefined();
		expect(notificationOf(ev({type: 'heal.result', heal: 1, outcome: 'refused', reason: 'touched verify', files: [], diff: ''}), run, undefined)?.reason).toBe(
			'heal.refused',
		);
		expect(notificationOf(ev({type: 'heal.result', heal: 1, outcome: 'applied', reason: 'ok', files: [], diff: ''}), run, undefined)).toBeUndefined();
		expect(notificationOf(ev({type: 'tamper.refused', channel: 'worker', verb: 'gate', detail: 'x', ticket: 'T-2', attempt: 1}), run, undefined)).toMatchObject(
			{
				kind: 'person.needed',
				reason: 'tamper.refused',
				ticket: 'T-2',
			},
		);
		expect(notificationOf(ev({type: 'warning', budget: 'cost', message: 'the cost budget of $1 is spent'}), run, undefined)).toMatchObject({
			kind: 'person.needed',
			reason: 'budget.cost',
		});
		expect(notificationOf(ev({type: 'warning', message: 'the cost budget of $1 is spent'}), run, undefined)).toBeUndefined();
	});
});

describe('what an agent wrote stays text', () => {
	it('Slack text escapes mentions and links; a webhook URL is logged by its origin only', () => {
		expect(slackEscape('wall <!channel> & <https://evil|click>')).toBe('wall &lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
		expect(redactUrl('https://hooks.slack.com/services/T000/B000/SECRET')).toBe('https://hooks.slack.com/…');
	});

	it('no desktop notifier without a program or a session: silently none', () => {
		expect(desktopNotifier({PATH: '/nonexistent'}, 'linux')).toBeUndefined();
		expect(desktopNotifier({PATH: '/usr/bin:/bin', DISPLAY: ''}, 'linux')).toBeUndefined();
		expect(desktopNotifier({PATH: '/nonexistent'}, 'darwin')).toBeUndefined();
	});
});

describe('notify config', () => {
	it('defaults: every kind, the bell, no desktop, 5 s; a bad URL or a typo is an error naming the field', () => {
		expect(parseProjectConfig('{"batch": "b"}').notify).toEqual({
			on: ['run.finished', 'run.stuck', 'person.needed'],
			desktop: false,
			bell: true,
			timeoutSeconds: 5,
		});
		expect(() => parseProjectConfig('{"batch": "b", "notify": {"webhook": "file:///etc/passwd"}}')).toThrow(/notify\.webhook/);
		expect(() => parseProjectConfig('{"batch": "b", "notify": {"comand": "x"}}')).toThrow(/notify/);
		expect(() => parseProjectConfig('{"batch": "b", "notify": {"on": ["run.done"]}}')).toThrow(/notify\.on/);
	});
});

describe('the TUI bell', () => {
	it('rings for live notifications of the configured kinds, never for the replayed log', () => {
		const listeners: Array<(e: EngineEvent) => void> = [];
		const source = {subscribe: (l: (e: EngineEvent) => void) => void listeners.push(l), onClose: () => undefined};
		let rings = 0;
		const seen: string[] = [];
		const since = Date.now();
		withBell(source, ['run.finished'], () => rings++, since).subscribe(e => seen.push(e.type));
		const old = new Date(since - 60_000).toISOString();
		listeners[0]!({seq: 1, at: old, type: 'run.stopped', reason: 'finished', oracleExit: 0});
		expect(rings).toBe(0);
		listeners[0]!(ev({type: 'tamper.refused', channel: 'worker', verb: 'gate', detail: 'x'}));
		expect(rings).toBe(0);
		listeners[0]!(ev({type: 'run.stopped', reason: 'finished', oracleExit: 0}));
		expect(rings).toBe(1);
		expect(seen).toEqual(['run.stopped', 'tamper.refused', 'run.stopped']);
	});
});
