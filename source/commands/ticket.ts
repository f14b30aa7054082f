import {readFileSync} from 'node:fs';
import type {Command} from 'commander';
import {ControlClient} from '../core/control-client.js';
import {InputError} from '../core/input-error.js';
import {registerTicketNew} from './ticket-new.js';

/**
 * The worker's side: an agent inside a run reaches its engine through its
 * attempt's worker channel, the socket the engine put in its environment
 * (the ticket is the channel's: nothing here names it). Outside a run these
 * verbs say so instead of guessing.
 */
function workerContext(): {socket: string; ticket: string} {
	const socket = process.env.PROOFLOOP_CONTROL;
	const ticket = process.env.PROOFLOOP_TICKET;
	if (!socket || !ticket) {
		throw new InputError(
			'`proofloop ticket` is for a worker inside a run: PROOFLOOP_CONTROL and PROOFLOOP_TICKET are not set\n  fix: ' +
				'a person scaffolds a ticket with `proofloop ticket new` (or writes it in .proofloop/tickets/)',
		);
	}
	return {socket, ticket};
}

function readArgFile(file: string, flag: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		throw new InputError(`${flag} ${file}: ${(error as Error).message}\n  fix: write the text to a file and pass its path`);
	}
}

/**
 * Every refusal a worker gets is input to fix (exit 2), worded by the engine.
 * The error printer loads lazily: a worker calls these verbs inside a busy
 * run, and every module this file pulls in is CPU taken from the engine.
 */
async function refuse(error: unknown): Promise<number> {
	const {reportError} = await import('./errors.js');
	return reportError(error instanceof Error && !(error instanceof InputError) ? new InputError(error.message) : error);
}

const list = (value?: string): string[] =>
	value
		? value
				.split(',')
				.map(item => item.trim())
				.filter(Boolean)
		: [];

async function send(request: Parameters<ControlClient['request']>[0]): Promise<void> {
	const {socket} = workerContext();
	const client = await ControlClient.connect(socket);
	try {
		const reply = await client.request(request);
		if (reply.type === 'error') throw new InputError(reply.message);
		process.stdout.write(`${reply.type === 'ok' && reply.message ? reply.message : 'ok'}\n`);
	} finally {
		client.close();
	}
}

export function registerTicket(program: Command): void {
	const ticket = program
		.command('ticket')
		.description('for workers inside a run: file discovered work, leave a note, or claim an external wall; for a person: `ticket new` scaffolds a ticket file');
	registerTicketNew(ticket);
	ticket
		.command('file')
		.description('file a new ticket into this batch (work you found that is not yours to do now)')
		.requiredOption('--title <text>', 'one line')
		.requiredOption('--body-file <file>', 'scope, acceptance and test plan')
		.option('--deps <ids>', 'comma-separated ids it depends on')
		.option('--blocks <id>', 'a ticket that must wait for it (your own: your attempt is parked and resumes on its branch once the new one is done)')
		.option('--locks <names>', 'comma-separated locks it holds (e.g. infra)')
		.action(async (opts: {title: string; bodyFile: string; deps?: string; blocks?: string; locks?: string}) => {
			try {
				await send({
					type: 'file',
					title: opts.title,
					body: readArgFile(opts.bodyFile, '--body-file'),
					deps: list(opts.deps),
					locks: list(opts.locks),
					...(opts.blocks ? {blocks: opts.blocks} : {}),
				});
			} catch (error) {
				process.exitCode = await refuse(error);
			}
		});
	ticket
		.command('note <text>')
		.description('leave a note on your ticket for later attempts')
		.action(async (text: string) => {
			try {
				await send({type: 'note', text});
			} catch (error) {
				process.exitCode = await refuse(error);
			}
		});
	ticket
		.command('blocked')
		.description('claim your ticket is blocked by a wall outside this repo (needs the wall, evidence and what you tried)')
		.requiredOption('--wall <text>', 'the external wall, named')
		.requiredOption('--evidence-file <file>', 'the error, response or log that shows it')
		.requiredOption('--tried <text>', 'what you tried before calling it a wall')
		.action(async (opts: {wall: string; evidenceFile: string; tried: string}) => {
			try {
				await send({type: 'blocked', wall: opts.wall, evidence: readArgFile(opts.evidenceFile, '--evidence-file'), tried: opts.tried});
			} catch (error) {
				process.exitCode = await refuse(error);
			}
		});
}
