/**
 * What the plan pass is doing, for whoever watches: its progress lines and,
 * per agent, its role, state and last words. The headless printer and the
 * TUI read the same store; the plan code only writes to it.
 */
import type {PlanRole} from './agents.js';

export type PlanAgentView = {name: string; role: PlanRole; state: 'running' | 'done' | 'failed'; detail: string; lines: string[]; startedAt: number};

export type PlanView = {id: string; batch: string; startedAt: number; lines: string[]; agents: PlanAgentView[]; outcome?: string};

const MAX_LINES = 200;
const MAX_AGENT_LINES = 50;

export class PlanProgress {
	#view: PlanView;
	#listeners = new Set<() => void>();

	constructor(id: string, batch: string, now = Date.now()) {
		this.#view = {id, batch, startedAt: now, lines: [], agents: []};
	}

	get view(): PlanView {
		return this.#view;
	}

	/** Called on every change (the TUI re-renders); returns the unsubscribe. */
	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	say(line: string): void {
		this.#set({lines: [...this.#view.lines, line].slice(-MAX_LINES)});
	}

	started(name: string, role: PlanRole, now = Date.now()): void {
		const agent: PlanAgentView = {name, role, state: 'running', detail: '', lines: [], startedAt: now};
		this.#set({agents: [...this.#view.agents.filter(a => a.name !== name), agent]});
	}

	said(name: string, text: string): void {
		const lines = text.split('\n').filter(line => line.trim() !== '');
		this.#agent(name, agent => ({lines: [...agent.lines, ...lines].slice(-MAX_AGENT_LINES)}));
	}

	ended(name: string, ok: boolean, detail: string): void {
		this.#agent(name, () => ({state: ok ? 'done' : 'failed', detail}));
	}

	finished(outcome: string): void {
		this.#set({outcome});
	}

	#agent(name: string, change: (agent: PlanAgentView) => Partial<PlanAgentView>): void {
		this.#set({agents: this.#view.agents.map(agent => (agent.name === name ? {...agent, ...change(agent)} : agent))});
	}

	#set(change: Partial<PlanView>): void {
		this.#view = {...this.#view, ...change};
		for (const listener of this.#listeners) listener();
	}
}
