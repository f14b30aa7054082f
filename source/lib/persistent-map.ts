import {OrderedMap} from 'immutable';

/**
 * An immutable map from strings, read as a ReadonlyMap: `with` returns a new
 * map sharing all but one path of immutable's hash trie, so a fold that makes
 * a new map per event stays linear. Iteration is in first-insertion order, as a Map's.
 */
export class PersistentMap<V> implements ReadonlyMap<string, V> {
	static empty<V>(): PersistentMap<V> {
		return new PersistentMap<V>(OrderedMap<string, V>());
	}

	static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
		return new PersistentMap(
			OrderedMap<string, V>().withMutations(map => {
				for (const [key, value] of entries) map.set(key, value);
			}),
		);
	}

	private constructor(private readonly map: OrderedMap<string, V>) {}

	get size(): number {
		return this.map.size;
	}

	get(key: string): V | undefined {
		return this.map.get(key);
	}

	has(key: string): boolean {
		return this.map.has(key);
	}

	/** A new map with `key` set to `value` (it keeps its place in the order when it was there). */
	with(key: string, value: V): PersistentMap<V> {
		return new PersistentMap(this.map.set(key, value));
	}

	entries(): MapIterator<[string, V]> {
		return this.map.entries() as MapIterator<[string, V]>;
	}

	keys(): MapIterator<string> {
		return this.map.keys() as MapIterator<string>;
	}

	values(): MapIterator<V> {
		return this.map.values() as MapIterator<V>;
	}

	[Symbol.iterator](): MapIterator<[string, V]> {
		return this.entries();
	}

	forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
		for (const [key, value] of this.entries()) callback(value, key, this);
	}
}
