// How the ready set's order was chosen: every policy of bench/lib/schedule-sim.mjs
// simulated over many seeds and DAG shapes (any earlier dep, local deps that make
// deep chains, at most one dep; 5–30% locked; 2–16 workers; three duration ranges),
// each makespan ÷ its lower bound. No run, no I/O: seconds of CPU.
// Flags: --seeds 6 (per shape), --tickets 100, --quick (1 seed of 30 tickets).
import {parseArgs} from 'node:util';
import {POLICIES, lowerBound, randomDag, simulate} from './lib/schedule-sim.mjs';

const SHAPES = {
	'any earlier dep': {},
	'local deps (deep)': {window: 6},
	'one dep at most (wide)': {maxDeps: 1},
};
const LOCK_SHARES = [0.05, 0.1, 0.2, 0.3];
const WORKERS = [2, 4, 8, 16];
const DURATIONS = [
	[1, 4],
	[0.5, 2],
	[0.2, 5],
];

const round = x => Math.round(x * 1000) / 1000;

function summary(ratios) {
	const sorted = [...ratios].sort((a, b) => a - b);
	return {
		mean: round(sorted.reduce((sum, x) => sum + x, 0) / sorted.length),
		p90: round(sorted[Math.floor(sorted.length * 0.9)]),
		worst: round(sorted.at(-1)),
		over_1_10: sorted.filter(x => x > 1.1).length,
	};
}

export async function run(argv = []) {
	const {values} = parseArgs({args: argv, options: {seeds: {type: 'string'}, tickets: {type: 'string'}, quick: {type: 'boolean'}}});
	const seeds = Number(values.seeds ?? (values.quick ? 1 : 6));
	const tickets = Number(values.tickets ?? (values.quick ? 30 : 100));
	const ratios = Object.fromEntries(POLICIES.map(p => [p, []]));
	const byShape = Object.fromEntries(Object.keys(SHAPES).map(shape => [shape, Object.fromEntries(POLICIES.map(p => [p, []]))]));
	const wins = Object.fromEntries(POLICIES.map(p => [p, 0]));
	let seed = 0;
	for (const [shape, options] of Object.entries(SHAPES))
		for (const lockShare of LOCK_SHARES)
			for (const workers of WORKERS)
				for (const [min, max] of DURATIONS)
					for (let k = 0; k < seeds; k++) {
						const dag = randomDag({seed: ++seed, tickets, min, max, lockShare, ...options});
						const {bound} = lowerBound(dag, workers);
						const ratio = Object.fromEntries(POLICIES.map(p => [p, simulate(dag, workers, p) / bound]));
						const best = Math.min(...Object.values(ratio));
						for (const p of POLICIES) {
							ratios[p].push(ratio[p]);
							byShape[shape][p].push(ratio[p]);
							if (ratio[p] <= best + 1e-9) wins[p]++;
						}
					}
	const rows = POLICIES.map(p => ({policy: p, ...summary(ratios[p]), 'best or tied': wins[p]}));
	console.log(
		`${seed} DAGs of ${tickets} tickets; makespan ÷ lower bound per policy (engine = what the engine runs; locked-work-gated knows durations, the engine does not)`,
	);
	console.table(rows);
	const shapeRows = Object.entries(byShape).map(([shape, per]) => ({shape, ...Object.fromEntries(POLICIES.map(p => [p, summary(per[p]).mean]))}));
	console.table(shapeRows);
	return {
		dags: seed,
		tickets,
		policies: Object.fromEntries(rows.map(({policy, ...rest}) => [policy, rest])),
		mean_by_shape: Object.fromEntries(shapeRows.map(({shape, ...rest}) => [shape, rest])),
	};
}
