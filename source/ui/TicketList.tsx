import {Box, Text} from 'ink';
import type {GroupedTicket, RunState, TicketGroup} from '../core/run-state.js';
import {limitedUntil} from '../core/ledger.js';
import {cleanText} from './text.js';
import {useTheme, type Tone} from './theme.js';

export const groupTitle: Record<TicketGroup, string> = {
	running: 'RUNNING',
	ready: 'READY',
	waiting: 'WAITING',
	blocked: 'BLOCKED',
	done: 'DONE',
	gated: 'HUMAN-GATED',
	failed: 'FAILED',
};

export const groupTone: Record<TicketGroup, Tone> = {
	running: 'accent',
	ready: 'ok',
	waiting: 'muted',
	blocked: 'warn',
	done: 'ok',
	gated: 'info',
	failed: 'bad',
};

export type ListRow = {kind: 'heading'; group: TicketGroup; count: number} | {kind: 'ticket'; ticket: GroupedTicket};

/** Group headings and tickets, in drawing order (empty groups are left out). */
export function listRows(grouped: readonly GroupedTicket[]): ListRow[] {
	const rows: ListRow[] = [];
	let current: TicketGroup | undefined;
	for (const ticket of grouped) {
		if (ticket.group !== current) {
			current = ticket.group;
			rows.push({kind: 'heading', group: current, count: grouped.filter(t => t.group === current).length});
		}
		rows.push({kind: 'ticket', ticket});
	}
	return rows;
}

/** The short note drawn before a ticket's title: what it is doing, or what it waits on. */
export function ticketNote(ticket: GroupedTicket, state: RunState, defaultMax: number): string {
	// The ticket's own budget (ledger.ts: a retry or a heal raises it) before the config's.
	const maxAttempts = ticket.budget ?? defaultMax;
	switch (ticket.group) {
		case 'running': {
			const worker = state.workers.get(ticket.id);
			return worker ? `${worker.stage} ${worker.attempt}/${worker.maxAttempts}` : 'running';
		}
		case 'ready':
			return ticket.attempts > 0 ? `attempt ${ticket.attempts + 1}/${maxAttempts} next` : 'ready';
		case 'waiting': {
			const deps = ticket.waitingOn?.deps ?? [];
			const locks = ticket.waitingOn?.locks ?? [];
			const on = [
				...deps.map(dep => `${cleanText(dep, 40)} (${cleanText(state.tickets.get(dep)?.status ?? 'not in batch', 20)})`),
				...locks.map(lock => `lock ${cleanText(lock, 40)}`),
			];
			if (on.length > 0) return `waits on ${on.join(', ')}`;
			if (ticket.attempts >= maxAttempts) return `no attempts left (${ticket.attempts}/${maxAttempts})`;
			const limit = limitedUntil(state.ledger, ticket.id, Date.now());
			if (limit !== undefined) return `waits for a usage limit to lift (${new Date(limit).toISOString().slice(11, 16)} UTC)`;
			return `waits (${cleanText(ticket.status, 20)})`;
		}
		case 'blocked':
			return 'blocked';
		case 'done':
			return 'done';
		case 'gated':
			return 'human-gated';
		case 'failed':
			return ticket.attempts > 0 ? `failed after ${ticket.attempts}` : 'failed';
	}
}

type Props = {
	grouped: readonly GroupedTicket[];
	state: RunState;
	selected?: string;
	maxAttempts: number;
	width: number;
	height: number;
};

/** The ticket list, grouped; scrolls so the selected ticket stays in view, never taller than `height`. */
export function TicketList({grouped, state, selected, maxAttempts, width, height}: Props) {
	const theme = useTheme();
	if (height <= 0 || width <= 0) return null;
	const rows = listRows(grouped);
	if (rows.length === 0) {
		return (
			<Box width={width} height={height}>
				<Text color={theme.color('muted')} wrap="truncate-end">
					no tickets yet
				</Text>
			</Box>
		);
	}
	const selectedRow = Math.max(
		0,
		rows.findIndex(row => row.kind === 'ticket' && row.ticket.id === selected),
	);
	let start = 0;
	if (rows.length > height) {
		// Keep the selection's group heading in view when it fits.
		start = Math.min(Math.max(0, selectedRow - Math.floor(height / 2)), rows.length - height);
	}
	const end = Math.min(rows.length, start + height);
	const shown = rows.slice(start, end);
	return (
		<Box width={width} height={height} flexDirection="column" overflow="hidden">
			{shown.map((row, index) => {
				if (index === 0 && start > 0) {
					return (
						<Text key="more-above" color={theme.color('muted')} wrap="truncate-end">
							{`  ↑ ${start + 1} more`}
						</Text>
					);
				}
				if (index === shown.length - 1 && end < rows.length) {
					return (
						<Text key="more-below" color={theme.color('muted')} wrap="truncate-end">
							{`  ↓ ${rows.length - end + 1} more`}
						</Text>
					);
				}
				if (row.kind === 'heading') {
					return (
						<Text key={`h-${row.group}`} bold color={theme.color(groupTone[row.group])} wrap="truncate-end">
							{`${groupTitle[row.group]} ${row.count}`}
						</Text>
					);
				}
				const t = row.ticket;
				const isSelected = t.id === selected;
				const note = ticketNote(t, state, maxAttempts);
				return (
					<Text key={t.id} wrap="truncate-end" bold={isSelected} color={isSelected ? theme.color('accent') : undefined}>
						{isSelected ? '› ' : '  '}
						{cleanText(t.id, 40)}
						{'  '}
						<Text color={isSelected ? undefined : theme.color(t.group === 'failed' ? 'bad' : 'muted')}>{note}</Text>
						{'  '}
						{cleanText(t.title, 200)}
						{t.lastFailure && t.group !== 'done' && t.group !== 'running' ? (
							<Text color={theme.color('muted')}>{`  last: ${cleanText(t.lastFailure, 200)}`}</Text>
						) : null}
					</Text>
				);
			})}
		</Box>
	);
}
