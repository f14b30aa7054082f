import {describe, expect, it} from 'vitest';
import {AgentSlots} from '../../../source/core/agent-slots.js';

describe('agent slots: the per-agent concurrency cap', () => {
	it('holds a third claude until one of two ends, in arrival order; other types are not held', async () => {
		const slots = new AgentSlots({claude: 2});
		const order: string[] = [];
		const a = await slots.acquire('claude');
		const b = await slots.acquire('claude');
		let waited = 0;
		const c = slots.acquire('claude', () => waited++).then(release => (order.push('c'), release));
		const d = slots.acquire('claude', () => waited++).then(release => (order.push('d'), release));
		const codex = await slots.acquire('codex');
		expect(waited).toBe(2);
		await Promise.resolve();
		expect(order).toEqual([]);
		expect(slots.inUse('claude')).toBe(2);
		a();
		a(); // a second release of the same slot is a no-op
		const releaseC = await c;
		expect(order).toEqual(['c']);
		expect(slots.inUse('claude')).toBe(2);
		b();
		(await d)();
		releaseC();
		codex();
		expect(slots.inUse('claude')).toBe(0);
	});
});
