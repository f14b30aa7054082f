/**
 * An immutable map from strings: `with` returns a new map sharing all but one
 * path of a hash trie (32-way, so a few small arrays are copied, whatever the
 * size). A fold that makes a new map per event stays linear. Iteration is in
 * first-insertion order, as a Map's.
 */
type Entry<V> = {readonly key: string; readonly value: V; readonly order: number};
type Leaf<V> = {readonly hash: number; readonly entries: ReadonlyArray<Entry<V>>};
type Branch<V> = {readonly bitmap: number; readonly kids: ReadonlyArray<Node<V>>};
type Node<V> = Leaf<V> | Branch<V>;

const BITS = 5;
const MASK = (1 << BITS) - 1;

function hashOf(key: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function popcount(n: number): number {
	n -= (n >>> 1) & 0x55555555;
	n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
	return (Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const isLeaf = <V>(node: Node<V>): node is Leaf<V> => 'entries' in node;

function lookup<V>(node: Node<V> | undefined, hash: number, key: string): Entry<V> | undefined {
	for (let shift = 0; node; shift += BITS) {
		if (isLeaf(node)) return node.hash === hash ? node.entries.find(e => e.key === key) : undefined;
		const bit = 1 << ((hash >>> shift) & MASK);
		if ((node.bitmap & bit) === 0) return undefined;
		node = node.kids[popcount(node.bitmap & (bit - 1))];
	}
	return undefined;
}

/** Two leaves of different hashes under one branch (deeper while their bits agree). */
function split<V>(a: Leaf<V>, b: Leaf<V>, shift: number): Branch<V> {
	const ia = (a.hash >>> shift) & MASK;
	const ib = (b.hash >>> shift) & MASK;
	if (ia === ib) return {bitmap: 1 << ia, kids: [split(a, b, shift + BITS)]};
	return {bitmap: (1 << ia) | (1 << ib), kids: ia < ib ? [a, b] : [b, a]};
}

function insert<V>(node: Node<V> | undefined, shift: number, hash: number, entry: Entry<V>): Node<V> {
	if (!node) return {hash, entries: [entry]};
	if (isLeaf(node)) {
		if (node.hash !== hash) return split(node, {hash, entries: [entry]}, shift);
		const at = node.entries.findIndex(e => e.key === entry.key);
		const entries = [...node.entries];
		if (at < 0) entries.push(entry);
		else entries[at] = entry;
		return {hash, entries};
	}
	const bit = 1 << ((hash >>> shift) & MASK);
	const at = popcount(node.bitmap & (bit - 1));
	const kids = [...node.kids];
	if (node.bitmap & bit) kids[at] = insert(node.kids[at], shift + BITS, hash, entry);
	else kids.splice(at, 0, {hash, entries: [entry]});
	return {bitmap: node.bitmap | bit, kids};
}

function* walk<V>(node: Node<V> | undefined): Generator<Entry<V>> {
	if (!node) return;
	if (isLeaf(node)) yield* node.entries;
	else for (const kid of node.kids) yield* walk(kid);
}

export class PersistentMap<V> implements ReadonlyMap<string, V> {
	static empty<V>(): PersistentMap<V> {
		return new PersistentMap<V>(undefined, 0, 0);
	}

	static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
		let map = PersistentMap.empty<V>();
		for (const [key, value] of entries) map = map.with(key, value);
		return map;
	}

	private constructor(
		private readonly root: Node<V> | undefined,
		readonly size: number,
		private readonly nextOrder: number,
	) {}

	get(key: string): V | undefined {
		return lookup(this.root, hashOf(key), key)?.value;
	}

	has(key: string): boolean {
		return lookup(this.root, hashOf(key), key) !== undefined;
	}

	/** A new map with `key` set to `value` (it keeps its place in the order when it was there). */
	with(key: string, value: V): PersistentMap<V> {
		const hash = hashOf(key);
		const was = lookup(this.root, hash, key);
		const root = insert(this.root, 0, hash, {key, value, order: was?.order ?? this.nextOrder});
		return new PersistentMap(root, was ? this.size : this.size + 1, was ? this.nextOrder : this.nextOrder + 1);
	}

	*entries(): MapIterator<[string, V]> {
		for (const e of [...walk(this.root)].sort((a, b) => a.order - b.order)) yield [e.key, e.value];
	}

	*keys(): MapIterator<string> {
		for (const [key] of this.entries()) yield key;
	}

	*values(): MapIterator<V> {
		for (const [, value] of this.entries()) yield value;
	}

	[Symbol.iterator](): MapIterator<[string, V]> {
		return this.entries();
	}

	forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
		for (const [key, value] of this.entries()) callback(value, key, this);
	}
}
