import {describe, expect, it} from 'vitest';
import {PersistentMap} from '../../../source/lib/persistent-map.js';

describe('persistent map', () => {
	it('reads as a Map would after the same sets, in first-insertion order, and leaves earlier versions as they were', () => {
		let map = PersistentMap.empty<number>();
		const model = new Map<string, number>();
		const versions: Array<[PersistentMap<number>, Map<string, number>]> = [];
		let seed = 7;
		const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
		for (let i = 0; i < 20_000; i++) {
			const key = `k${next() % 5000}`;
			map = map.with(key, i);
			model.set(key, i);
			if (i % 2500 === 0) versions.push([map, new Map(model)]);
		}
		expect(map.size).toBe(model.size);
		expect([...map]).toEqual([...model]);
		expect([...map.keys()]).toEqual([...model.keys()]);
		for (const key of ['k0', 'k1', 'k4999', 'absent']) {
			expect(map.get(key)).toBe(model.get(key));
			expect(map.has(key)).toBe(model.has(key));
		}
		for (const [old, then] of versions) expect([...old]).toEqual([...then]);
	});

	it('keeps keys whose hashes collide apart', () => {
		// Many keys make full 32-bit collisions unlikely; short and similar keys test the deep splits.
		const keys = Array.from({length: 3000}, (_, i) => String.fromCharCode(65 + (i % 26)) + i);
		const map = PersistentMap.from(keys.map((k, i) => [k, i] as const));
		expect(keys.every((k, i) => map.get(k) === i)).toBe(true);
		expect(map.size).toBe(3000);
	});
});
