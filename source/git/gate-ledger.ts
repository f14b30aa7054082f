/**
 * A person's gates in the merge queue's ledger. A ticket file that says
 * `human_gated` is text anyone can write; the oracle counts it only when the
 * ledger's latest gate record for that ticket is a gate. Only the engine
 * (a human verb on the human channel) and a person's own CLI with no engine
 * running (under the run lock) append here.
 */
import {appendGateLine, currentLedgerTip, ledgerFiles, type LedgerAppend} from './ledger.js';

export type GateLedgerRecord =
	| {kind: 'gate'; ticket: string; by: string; reason: string; at: string; run: string}
	| {kind: 'ungate'; ticket: string; by: string; at: string; run: string; reason?: string};

/** Append one gate or ungate record. The caller holds the ledger mutex (Repo.recordGate). */
export function appendGate(root: string, record: GateLedgerRecord): Promise<LedgerAppend> {
	const message = `proofloop: ledger ${record.kind} ${record.ticket}\n\nby ${record.by}\n${record.reason ? `reason ${record.reason}\n` : ''}run ${record.run}\n`;
	return appendGateLine(root, record.ticket, JSON.stringify(record), message);
}

/** The ledger's latest gate or ungate of `ticket` (the one the oracle goes by), or undefined when it has none. */
export async function latestGate(root: string, ticket: string): Promise<GateLedgerRecord | undefined> {
	const {gates} = await ledgerFiles(root, await currentLedgerTip(root));
	let latest: GateLedgerRecord | undefined;
	for (const line of gates.split('\n')) {
		if (line === '') continue;
		try {
			const record = JSON.parse(line) as GateLedgerRecord;
			if (record.ticket === ticket && (record.kind === 'gate' || record.kind === 'ungate')) latest = record;
		} catch {
			// The oracle refuses a malformed line; here it is no gate.
		}
	}
	return latest;
}
