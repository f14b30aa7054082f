import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {parseTicketCached, type TicketFile} from '../validate.js';
import type {Ticket} from '../ticket.js';

// The ticket files as a sync sees them: the same set the tracker and the oracle
// read (every *.md directly in the directory), each parsed when it parses.

export type SyncFile = TicketFile & {ticket?: Ticket};

export function readTicketFiles(root: string, dir: string): SyncFile[] {
	const abs = path.join(root, dir);
	let names: string[];
	try {
		names = readdirSync(abs).filter(name => name.endsWith('.md'));
	} catch {
		return [];
	}
	return names.sort().map(name => {
		const file = {file: `${dir}/${name}`, text: readFileSync(path.join(abs, name), 'utf8')};
		const parsed = parseTicketCached(file);
		return parsed.ok ? {...file, ticket: parsed.ticket} : file;
	});
}

/** `text` with its body (everything after the closing ---) replaced. */
export function withBody(text: string, body: string): string {
	const lines = text.split('\n');
	const close = lines.findIndex((line, i) => i > 0 && line.replace(/\r$/, '') === '---');
	const clean = body.replace(/\r\n?/g, '\n').trimEnd();
	return `${lines.slice(0, close + 1).join('\n')}\n${clean === '' ? '' : `${clean}\n`}`;
}
