import {describe, expect, it} from 'vitest';
import {cycleIfAdded, findCycle, findPath} from '../../../source/tracker/graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycle', () => {
	it('finds nothing in a DAG, including diamonds and edges to unknown ids', () => {
		expect(findCycle(graph({'T-1': [], 'T-2': ['T-1'], 'T-3': ['T-1'], 'T-4': ['T-2', 'T-3', 'X-9']}))).toBeUndefined();
		expect(findCycle(new Map())).toBeUndefined();
	});

	it('returns the closed path of a cycle', () => {
		expect(findCycle(graph({'T-1': ['T-2'], 'T-2': ['T-3'], 'T-3': ['T-1']}))).toEqual(['T-1', 'T-2', 'T-3', 'T-1']);
	});

	it('returns only the cycle, not the path that led to it', () => {
		expect(findCycle(graph({'A-0': ['T-1'], 'T-1': ['T-2'], 'T-2': ['T-1']}))).toEqual(['T-1', 'T-2', 'T-1']);
	});

	it('finds a self-loop', () => {
		expect(findCycle(graph({'T-1': ['T-1']}))).toEqual(['T-1', 'T-1']);
	});

	it('is deterministic: ids and their deps are visited in sorted order', () => {
		const a = graph({'T-3': ['T-2'], 'T-2': ['T-1', 'T-3'], 'T-1': ['T-2']});
		const b = graph({'T-1': ['T-2'], 'T-2': ['T-3', 'T-1'], 'T-3': ['T-2']});
		expect(findCycle(a)).toEqual(['T-1', 'T-2', 'T-1']);
		expect(findCycle(b)).toEqual(['T-1', 'T-2', 'T-1']);
	});
});

describe('findPath and cycleIfAdded', () => {
	const edges = graph({'T-4': ['T-3'], 'T-3': ['T-1', 'T-2'], 'T-2': ['T-1'], 'T-1': []});

	it('finds a dependency path, first in sorted order', () => {
		expect(findPath(edges, 'T-4', 'T-1')).toEqual(['T-4', 'T-3', 'T-1']);
		expect(findPath(edges, 'T-1', 'T-4')).toBeUndefined();
	});

	it('names the cycle a new edge would close, and allows a harmless one', () => {
		expect(cycleIfAdded(edges, 'T-1', 'T-4')).toEqual(['T-1', 'T-4', 'T-3', 'T-1']);
		expect(cycleIfAdded(edges, 'T-2', 'T-2')).toEqual(['T-2', 'T-2']);
		expect(cycleIfAdded(edges, 'T-4', 'T-2')).toBeUndefined();
	});
});
