// A worker pane shows what the agent is doing, not its wire format: a line of
// a CLI's JSON stream becomes one short human line (or nothing, for noise).
// Anything that is not a recognised JSON event is shown as it is: check and
// verify output, plain-text agents, proofloop's own markers.

type Json = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function toolSummary(name: string, input: unknown): string {
	const fields = typeof input === 'object' && input !== null ? (input as Json) : {};
	const detail =
		str(fields['command']) ??
		str(fields['file_path']) ??
		str(fields['filePath']) ??
		str(fields['path']) ??
		str(fields['pattern']) ??
		str(fields['description']) ??
		'';
	return `⚙ ${name}${detail ? ` ${oneLine(detail)}` : ''}`;
}

function contentLines(content: unknown): string[] {
	if (!Array.isArray(content)) return [];
	return content.flatMap((block: Json) => {
		if (block?.['type'] === 'text' && str(block['text'])) return [`» ${oneLine(str(block['text'])!)}`];
		if (block?.['type'] === 'tool_use') return [toolSummary(str(block['name']) ?? 'tool', block['input'])];
		if (block?.['type'] === 'tool_result') {
			const body = Array.isArray(block['content'])
				? (block['content'] as Json[]).map(part => str(part['text']) ?? '').join(' ')
				: (str(block['content']) ?? '');
			const first = oneLine(body).slice(0, 200);
			return first ? [`  ↳ ${block['is_error'] === true ? 'error: ' : ''}${first}`] : [];
		}
		return [];
	});
}

/** Human lines for one raw log line (possibly none). */
export function formatLogLine(line: string): string[] {
	const trimmed = line.trim();
	if (!trimmed.startsWith('{')) return [line];
	let event: Json;
	try {
		event = JSON.parse(trimmed) as Json;
	} catch {
		return [line];
	}
	const type = str(event['type']);
	const message = (event['message'] ?? {}) as Json;
	switch (type) {
		// Claude Code (and the demo engine, which speaks its stream-json).
		case 'system':
			return event['subtype'] === 'init' ? [`· session started${str(event['model']) ? ` (${str(event['model'])})` : ''}`] : [];
		case 'assistant':
		case 'user':
			return contentLines(message['content']);
		case 'result': {
			const ok = event['is_error'] !== true && (event['subtype'] === 'success' || event['subtype'] === undefined);
			const text = str(event['result']) ?? (Array.isArray(event['errors']) ? (event['errors'] as unknown[]).join('; ') : '');
			return [`${ok ? '✓' : '✗'} ${oneLine(text).slice(0, 300) || (ok ? 'finished' : 'failed')}`];
		}
		// Codex (exec --json).
		case 'item.completed':
		case 'item.started': {
			const item = (event['item'] ?? {}) as Json;
			const kind = str(item['type']);
			if (kind === 'agent_message' && type === 'item.completed') return [`» ${oneLine(str(item['text']) ?? '')}`];
			if (kind === 'command_execution' && type === 'item.started') return [`⚙ ${oneLine(str(item['command']) ?? 'command')}`];
			if (kind === 'file_change' && type === 'item.completed') return ['⚙ edited files'];
			return [];
		}
		case 'turn.completed':
			return ['✓ turn completed'];
		case 'turn.failed':
		case 'error':
			return [`✗ ${oneLine(str((event['error'] as Json | undefined)?.['message']) ?? str(event['message']) ?? 'error')}`];
		default:
			// A JSON event we do not know: say its type rather than dump it.
			return type ? [`· ${type}`] : [line];
	}
}

/** The human lines for a raw tail, keeping at most `max` of them. */
export function formatLogTail(lines: readonly string[], max = 400): string[] {
	const out: string[] = [];
	for (const line of lines) out.push(...formatLogLine(line));
	return out.slice(-max);
}
