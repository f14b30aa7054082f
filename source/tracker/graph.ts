// Dependency graph helpers. Edges map a ticket id to the ids it depends on.
// Every walk visits ids in sorted order so the same tickets always yield the
// same cycle path (and the same error message).

export type DependencyEdges = ReadonlyMap<string, readonly string[]>;

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** A dependency cycle as a closed path, e.g. ['T-1', 'T-2', 'T-3', 'T-1'], or undefined. */
export function findCycle(edges: DependencyEdges): string[] | undefined {
	const state = new Map<string, 'open' | 'closed'>();
	const path: string[] = [];
	const visit = (id: string): string[] | undefined => {
		state.set(id, 'open');
		path.push(id);
		for (const next of sorted(edges.get(id) ?? [])) {
			const seen = state.get(next);
			if (seen === 'open') return [...path.slice(path.indexOf(next)), next];
			if (seen === undefined) {
				const cycle = visit(next);
				if (cycle) return cycle;
			}
		}
		path.pop();
		state.set(id, 'closed');
		return undefined;
	};
	for (const id of sorted(edges.keys())) {
		if (state.has(id)) continue;
		const cycle = visit(id);
		if (cycle) return cycle;
	}
	return undefined;
}

/** A dependency path from `from` to `to` (both included), or undefined. */
export function findPath(edges: DependencyEdges, from: string, to: string): string[] | undefined {
	const seen = new Set<string>();
	const walk = (id: string): string[] | undefined => {
		if (id === to) return [id];
		seen.add(id);
		for (const next of sorted(edges.get(id) ?? [])) {
			if (seen.has(next)) continue;
			const rest = walk(next);
			if (rest) return [id, ...rest];
		}
		return undefined;
	};
	return walk(from);
}

/**
 * The cycle that making `from` depend on `to` would close, e.g. for
 * `proofloop ticket file --blocks`: ['T-1', 'T-4', ..., 'T-1'], or undefined.
 */
export function cycleIfAdded(edges: DependencyEdges, from: string, to: string): string[] | undefined {
	const back = findPath(edges, to, from);
	return back ? [from, ...back] : undefined;
}
