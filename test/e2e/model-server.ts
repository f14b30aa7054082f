/**
 * A scripted model server for the real-CLI end-to-end test: node:http on
 * 127.0.0.1 (random port) speaking the wire protocols the real coding-agent
 * CLIs use, so `claude` and `codex`, unmodified, run whole headless sessions
 * against it. It speaks as the server the real samples in
 * test/fixtures/agents/ were recorded against did.
 *
 * - Anthropic Messages (Claude Code, ANTHROPIC_BASE_URL): POST /v1/messages
 *   (`?beta=true`), streaming SSE message_start, content_block_start /
 *   content_block_delta (text_delta, input_json_delta) / content_block_stop,
 *   message_delta, message_stop; also a JSON answer when `stream` is off,
 *   POST /v1/messages/count_tokens, GET /v1/models, HEAD.
 * - OpenAI Responses (codex, a `model_providers.<id>` with wire_api
 *   "responses"): POST /v1/responses, streaming SSE response.created,
 *   response.output_item.added / .done (function_call, custom_tool_call,
 *   message with content_part / output_text deltas), response.completed with
 *   usage; GET /v1/models.
 * - Gemini API (gemini-cli, GOOGLE_GEMINI_BASE_URL): POST
 *   /v1beta/models/<model>:streamGenerateContent?alt=sse (SSE `data:` chunks of
 *   a GenerateContentResponse, functionCall parts for tools),
 *   :generateContent, :countTokens. JSON-mode side calls (gemini's router and
 *   next-speaker checks) get a JSON answer.
 *
 * Scripts: the test's `route` names the script a request belongs to (e.g.
 * "worker:T1" from the ticket id in the prompt). A script is a list of
 * sessions, each a list of turns. A session is one CLI process's conversation,
 * told apart by its first user message (a new attempt or review round has a
 * new prompt); the sessions of a script are used in the order they start. The
 * turn a request asks for is the number of tool results already in it, so a
 * retried request gets the same answer. A request the route does not claim,
 * or one without tools (titles, classifiers, quota probes), is auxiliary and
 * gets a short text. Every request is logged (`requests`); anything the
 * scripts did not foresee is recorded in `problems` for the test to assert on.
 *
 * Bounded: it listens on loopback only, refuses non-loopback peers, and closes
 * itself after `maxLifetimeMs` even if the test forgets to. Used as the CLIs'
 * proxy (`proxyUrl`) it also refuses, and records, anything they would send
 * off loopback.
 */
import {randomUUID} from 'node:crypto';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import type {Duplex} from 'node:stream';
import {brotliDecompressSync, gunzipSync, inflateSync} from 'node:zlib';

export type Protocol = 'anthropic' | 'responses' | 'gemini';

/** What the scripted model does in one turn. */
export type Turn =
	/** The final answer of the session. */
	| {text: string}
	/** A command through the CLI's own shell tool (claude `Bash`, codex `exec_command` / `shell_command` / `shell`). */
	| {shell: string}
	/**
	 * A new file through the CLI's own file tool: claude `Write`, codex
	 * `apply_patch` when offered (else a shell command writes it). `path` is
	 * relative to the agent's working directory.
	 */
	| {write: string; content: string};

export type TurnSource = Turn | ((request: ModelRequest) => Turn);
/** The turns of one CLI session, in order. */
export type Session = TurnSource[];

/** What the server understood of one model request. */
export type ModelRequest = {
	protocol: Protocol;
	path: string;
	model: string;
	/** The text of the user messages, tool results left out (where the prompt is). */
	prompt: string;
	/** The text of the first user message: what tells one session from another. */
	first: string;
	/** The system prompt / instructions. */
	system: string;
	/** Names of the tools the CLI offered. */
	tools: string[];
	/** The outputs of the tool calls earlier in this session, in order. */
	toolResults: string[];
	/** The agent's working directory, when the CLI names it (for absolute paths). */
	cwd?: string;
	userAgent: string;
};

export type RequestLogEntry = {
	at: number;
	method: string;
	path: string;
	userAgent: string;
	protocol?: Protocol;
	model?: string;
	stream?: boolean;
	tools?: string[];
	/** main: answered from a script; aux: a side request; meta: models, token counts, HEAD. */
	kind: 'main' | 'aux' | 'meta' | 'refused';
	script?: string;
	/** 1-based: the session of the script, the turn in the session. */
	session?: number;
	turn?: number;
	answer?: string;
	status: number;
};

export type ModelServerOptions = {
	/** Which script a request belongs to; undefined = not a scripted session. */
	route: (request: ModelRequest) => string | undefined;
	scripts?: Record<string, Session[]>;
	/** The server closes itself after this long (default 20 minutes). */
	maxLifetimeMs?: number;
};

const USAGE_ANTHROPIC = {input_tokens: 1200, output_tokens: 37, cache_creation_input_tokens: 0, cache_read_input_tokens: 0};
const USAGE_RESPONSES = {
	input_tokens: 2400,
	input_tokens_details: {cached_tokens: 0},
	output_tokens: 57,
	output_tokens_details: {reasoning_tokens: 0},
	total_tokens: 2457,
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const id = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
const chunks = (text: string, size = 16): string[] => (text === '' ? [''] : (text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? ['']));
const isLoopback = (address: string | undefined): boolean => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/** Text of an Anthropic content value or an OpenAI content/output value. */
function textOf(content: unknown): string {
	if (typeof content === 'string') return content;
	if (!Array.isArray(content)) return '';
	return content
		.map(part => (isObject(part) && (part['type'] === 'text' || part['type'] === 'input_text' || part['type'] === 'output_text') ? str(part['text']) : ''))
		.filter(Boolean)
		.join('\n');
}

/** A here-document writing `content` to `file`, for CLIs whose only edit tool is the shell. */
export function shellWrite(file: string, content: string): string {
	let marker = 'PROOFLOOP_E2E_EOF';
	while (content.includes(marker)) marker += '_';
	const dir = file.includes('/') ? `mkdir -p '${file.slice(0, file.lastIndexOf('/'))}' && ` : '';
	return `${dir}cat > '${file}' <<'${marker}'\n${content}${content.endsWith('\n') ? '' : '\n'}${marker}`;
}

/** An apply_patch "Add File" envelope (codex's patch grammar). */
export function addFilePatch(file: string, content: string): string {
	const lines = content.replace(/\n$/, '').split('\n');
	return ['*** Begin Patch', `*** Add File: ${file}`, ...lines.map(line => `+${line}`), '*** End Patch', ''].join('\n');
}

export class ScriptedModelServer {
	readonly requests: RequestLogEntry[] = [];
	/** What the scripts did not foresee: unknown endpoints, exhausted scripts, unparseable bodies. */
	readonly problems: string[] = [];
	private readonly scripts = new Map<string, Session[]>();
	/** Per script: the first user message of each session seen, in order. */
	private readonly sessions = new Map<string, string[]>();
	private server: Server | undefined;
	private lifetime: NodeJS.Timeout | undefined;
	private port = 0;

	private constructor(private readonly options: ModelServerOptions) {
		for (const [key, turns] of Object.entries(options.scripts ?? {})) this.scripts.set(key, turns);
	}

	static async start(options: ModelServerOptions): Promise<ScriptedModelServer> {
		const self = new ScriptedModelServer(options);
		await self.listen();
		return self;
	}

	/** http://127.0.0.1:<port> (no path). */
	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/**
	 * Give this to the CLIs as HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, with
	 * NO_PROXY=127.0.0.1,localhost: whatever a CLI would send off loopback
	 * (telemetry, update checks, a provider it was not pointed at) comes here
	 * instead, is refused, and lands in `outbound` and `problems`.
	 */
	get proxyUrl(): string {
		return this.url;
	}

	/** Requests a CLI tried to send off loopback, all refused. */
	readonly outbound: string[] = [];

	private refuseOutbound(what: string, userAgent: string): void {
		this.outbound.push(`${what} (${userAgent || 'no user-agent'})`);
		this.problems.push(`refused a request off loopback: ${what} (${userAgent || 'no user-agent'})`);
	}

	/** Set (or replace) the sessions of a script. */
	script(key: string, sessions: Session[]): void {
		this.scripts.set(key, sessions);
	}

	/** How many sessions of a script have started. */
	sessionCount(key: string): number {
		return this.sessions.get(key)?.length ?? 0;
	}

	/** The scripted requests, by script key: what each session was answered. */
	mainRequests(script?: string): RequestLogEntry[] {
		return this.requests.filter(r => r.kind === 'main' && (script === undefined || r.script === script));
	}

	/** One line per kind of request each CLI made: what it asked of the server. */
	summary(): string[] {
		const counts = new Map<string, number>();
		for (const r of this.requests) {
			const key = `${r.userAgent.split(' ')[0] || '(no user-agent)'}: ${r.method} ${r.path} [${r.kind}]`;
			counts.set(key, (counts.get(key) ?? 0) + 1);
		}
		return [...counts].map(([key, n]) => `${key} x${n}`).sort();
	}

	async close(): Promise<void> {
		clearTimeout(this.lifetime);
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>(resolve => server.close(() => resolve()));
	}

	private async listen(): Promise<void> {
		const server = createServer((req, res) => {
			this.handle(req, res).catch((error: unknown) => {
				this.problems.push(`${req.method} ${req.url}: handler error ${(error as Error)?.stack ?? String(error)}`);
				if (!res.headersSent) res.writeHead(500, {'content-type': 'application/json'});
				res.end(JSON.stringify({type: 'error', error: {type: 'api_error', message: 'scripted model server error'}}));
			});
		});
		// Codex may hold a keep-alive connection open; it must not keep the test alive.
		server.keepAliveTimeout = 1000;
		// As the CLIs' HTTPS proxy, it turns every tunnel off loopback down (and records it).
		server.on('connect', (req: IncomingMessage, socket: Duplex) => {
			this.requests.push({at: Date.now(), method: 'CONNECT', path: req.url ?? '', userAgent: str(req.headers['user-agent']), kind: 'refused', status: 403});
			this.refuseOutbound(`CONNECT ${req.url ?? ''}`, str(req.headers['user-agent']));
			socket.on('error', () => {});
			socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
		});
		this.server = server;
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(0, '127.0.0.1', () => resolve());
		});
		this.port = (server.address() as AddressInfo).port;
		this.lifetime = setTimeout(() => void this.close(), this.options.maxLifetimeMs ?? 20 * 60_000);
		this.lifetime.unref();
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = req.method ?? 'GET';
		let path = req.url ?? '/';
		const userAgent = str(req.headers['user-agent']);
		const entry: RequestLogEntry = {at: Date.now(), method, path, userAgent, kind: 'meta', status: 200};
		this.requests.push(entry);
		if (!isLoopback(req.socket.remoteAddress)) {
			entry.kind = 'refused';
			entry.status = 403;
			res.writeHead(403).end();
			return;
		}
		if (/^https?:\/\//i.test(path)) {
			// Absolute form: a client that uses this server as its HTTP proxy (see `proxyUrl`).
			const target = new URL(path);
			if (target.host !== `127.0.0.1:${this.port}` && target.host !== `localhost:${this.port}`) {
				this.refuseOutbound(`${method} ${path}`, userAgent);
				entry.kind = 'refused';
				entry.status = 403;
				res.writeHead(403, {'content-type': 'text/plain'}).end('the e2e model server refuses requests off loopback\n');
				return;
			}
			path = `${target.pathname}${target.search}`;
			entry.path = path;
		}
		const raw = await readBody(req);
		const pathname = path.split('?')[0] ?? path;

		if (method === 'HEAD') {
			res.writeHead(200, {'content-length': '0'}).end();
			return;
		}
		if (method === 'GET' && /\/models\/?$/.test(pathname)) {
			// Anthropic's list shape and OpenAI's, in one answer.
			this.json(res, {
				object: 'list',
				data: [{id: 'mock-model', type: 'model', object: 'model', display_name: 'Mock', created_at: '2026-01-01T00:00:00Z', owned_by: 'mock'}],
				has_more: false,
				first_id: 'mock-model',
				last_id: 'mock-model',
				models: [],
			});
			return;
		}
		if (method !== 'POST') {
			this.problems.push(`unexpected ${method} ${path} (${userAgent})`);
			entry.status = 404;
			this.json(res, {type: 'error', error: {type: 'not_found_error', message: `no ${method} ${path} here`}}, 404);
			return;
		}
		let body: Json;
		try {
			const parsed: unknown = JSON.parse(decode(raw, str(req.headers['content-encoding'])).toString('utf8') || '{}');
			body = isObject(parsed) ? parsed : {};
		} catch (error) {
			this.problems.push(
				`${method} ${path}: unreadable body (${(error as Error).message}; content-encoding ${str(req.headers['content-encoding']) || 'none'})`,
			);
			entry.status = 400;
			this.json(res, {type: 'error', error: {type: 'invalid_request_error', message: 'unreadable body'}}, 400);
			return;
		}

		if (pathname.endsWith('/messages/count_tokens')) {
			this.json(res, {input_tokens: 1200});
			return;
		}
		if (pathname.endsWith('/messages')) {
			const request = anthropicRequest(pathname, body, userAgent);
			this.fill(entry, request, body);
			const turn = this.turnFor(request, entry);
			entry.answer = describeTurn(turn);
			this.anthropic(res, body, request, turn);
			return;
		}
		if (pathname.endsWith('/responses')) {
			const request = responsesRequest(pathname, body, userAgent);
			this.fill(entry, request, body);
			const turn = this.turnFor(request, entry);
			entry.answer = describeTurn(turn);
			this.responses(res, body, request, turn);
			return;
		}
		if (pathname.endsWith(':countTokens')) {
			this.json(res, {totalTokens: 1200});
			return;
		}
		if (pathname.endsWith(':streamGenerateContent') || pathname.endsWith(':generateContent')) {
			const request = geminiRequest(pathname, body, userAgent);
			this.fill(entry, request, body);
			entry.stream = pathname.endsWith(':streamGenerateContent');
			const config = isObject(body['generationConfig']) ? body['generationConfig'] : {};
			if (config['responseMimeType'] === 'application/json' || config['responseJsonSchema'] || config['responseSchema']) {
				// gemini's own side questions (model router, next speaker): answered, never scripted.
				entry.kind = 'aux';
				entry.answer = 'json';
				const json = JSON.stringify({
					reasoning: 'scripted',
					next_speaker: 'user',
					model_choice: 'flash',
					complexity_reasoning: 'scripted',
					complexity_score: 10,
				});
				this.gemini(res, entry.stream, [{text: json}]);
				return;
			}
			const turn = this.turnFor(request, entry);
			entry.answer = describeTurn(turn);
			let part: Json;
			if ('text' in turn) part = {text: turn.text};
			else if ('shell' in turn) part = {functionCall: {name: 'run_shell_command', args: {command: turn.shell, description: 'Run the scripted command'}}};
			else if (request.tools.includes('write_file')) {
				const file = request.cwd && !turn.write.startsWith('/') ? `${request.cwd}/${turn.write}` : turn.write;
				part = {functionCall: {name: 'write_file', args: {file_path: file, content: turn.content}}};
			} else part = {functionCall: {name: 'run_shell_command', args: {command: shellWrite(turn.write, turn.content), description: 'Write the scripted file'}}};
			this.gemini(res, entry.stream, [part]);
			return;
		}
		this.problems.push(`unexpected POST ${path} (${userAgent})`);
		entry.status = 404;
		this.json(res, {type: 'error', error: {type: 'not_found_error', message: `no POST ${path} here`}}, 404);
	}

	private fill(entry: RequestLogEntry, request: ModelRequest, body: Json): void {
		entry.protocol = request.protocol;
		entry.model = request.model;
		entry.stream = body['stream'] === true;
		entry.tools = request.tools;
	}

	/** The scripted turn for a main request; a short text for an auxiliary one. */
	private turnFor(request: ModelRequest, entry: RequestLogEntry): Turn {
		const key = request.tools.length > 0 ? this.options.route(request) : undefined;
		if (key === undefined) {
			entry.kind = 'aux';
			return {text: 'OK'};
		}
		entry.kind = 'main';
		entry.script = key;
		const seen = this.sessions.get(key) ?? [];
		this.sessions.set(key, seen);
		let session = seen.indexOf(request.first);
		if (session < 0) session = seen.push(request.first) - 1;
		const index = request.toolResults.length;
		entry.session = session + 1;
		entry.turn = index + 1;
		const sessions = this.scripts.get(key);
		const turns = sessions?.[session];
		const source = turns?.[index];
		if (!source) {
			const why = !sessions
				? `no script ${key}`
				: !turns
					? `script ${key} has ${sessions.length} sessions, a session ${session + 1} started`
					: `session ${session + 1} of script ${key} has ${turns.length} turns, asked for turn ${index + 1}`;
			this.problems.push(`${request.protocol} ${request.path}: ${why}`);
			return {text: `(scripted model server: ${why})`};
		}
		return typeof source === 'function' ? source(request) : source;
	}

	private json(res: ServerResponse, value: unknown, status = 200): void {
		const data = JSON.stringify(value);
		res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)});
		res.end(data);
	}

	private sseStart(res: ServerResponse): (event: string, data: unknown) => void {
		res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close'});
		return (event, data) => {
			res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
		};
	}

	// ---------------------------------------------------------------- Anthropic Messages

	private anthropic(res: ServerResponse, body: Json, request: ModelRequest, turn: Turn): void {
		const model = request.model || 'claude-mock';
		const messageId = id('msg');
		type Block = {start: Json; delta: Json[]; final: Json};
		const blocks: Block[] = [];
		let stop = 'end_turn';
		const text = (value: string): void => {
			blocks.push({
				start: {type: 'text', text: ''},
				delta: chunks(value).map(piece => ({type: 'text_delta', text: piece})),
				final: {type: 'text', text: value},
			});
		};
		const tool = (name: string, input: Json): void => {
			const toolId = id('toolu');
			const json = JSON.stringify(input);
			blocks.push({
				start: {type: 'tool_use', id: toolId, name, input: {}},
				delta: chunks(json, 40).map(piece => ({type: 'input_json_delta', partial_json: piece})),
				final: {type: 'tool_use', id: toolId, name, input},
			});
			stop = 'tool_use';
		};
		if ('text' in turn) text(turn.text);
		else if ('shell' in turn) tool('Bash', {command: turn.shell, description: 'Run the scripted command'});
		else if (request.tools.includes('Write')) {
			// Claude's Write wants an absolute path; the session's cwd is in its system prompt.
			const file = request.cwd && !turn.write.startsWith('/') ? `${request.cwd}/${turn.write}` : turn.write;
			tool('Write', {file_path: file, content: turn.content});
		} else tool('Bash', {command: shellWrite(turn.write, turn.content), description: 'Write the scripted file'});

		if (body['stream'] !== true) {
			this.json(res, {
				id: messageId,
				type: 'message',
				role: 'assistant',
				model,
				content: blocks.map(b => b.final),
				stop_reason: stop,
				stop_sequence: null,
				usage: USAGE_ANTHROPIC,
			});
			return;
		}
		const send = this.sseStart(res);
		send('message_start', {
			type: 'message_start',
			message: {
				id: messageId,
				type: 'message',
				role: 'assistant',
				model,
				content: [],
				stop_reason: null,
				stop_sequence: null,
				usage: {...USAGE_ANTHROPIC, output_tokens: 1},
			},
		});
		blocks.forEach((block, index) => {
			send('content_block_start', {type: 'content_block_start', index, content_block: block.start});
			for (const delta of block.delta) send('content_block_delta', {type: 'content_block_delta', index, delta});
			send('content_block_stop', {type: 'content_block_stop', index});
		});
		send('message_delta', {type: 'message_delta', delta: {stop_reason: stop, stop_sequence: null}, usage: USAGE_ANTHROPIC});
		send('message_stop', {type: 'message_stop'});
		res.end();
	}

	// ---------------------------------------------------------------- Gemini

	private gemini(res: ServerResponse, stream: boolean, parts: Json[]): void {
		const answer = {
			candidates: [{content: {role: 'model', parts}, finishReason: 'STOP', index: 0}],
			usageMetadata: {promptTokenCount: 3000, candidatesTokenCount: 40, totalTokenCount: 3040, cachedContentTokenCount: 0},
			modelVersion: 'gemini-scripted',
		};
		if (!stream) {
			this.json(res, answer);
			return;
		}
		res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close'});
		res.end(`data: ${JSON.stringify(answer)}\r\n\r\n`);
	}

	// ---------------------------------------------------------------- OpenAI Responses

	private responses(res: ServerResponse, body: Json, request: ModelRequest, turn: Turn): void {
		const model = request.model || 'mock';
		const responseId = id('resp');
		const tools = Array.isArray(body['tools']) ? body['tools'].filter(isObject) : [];
		const toolNamed = (name: string): Json | undefined => tools.find(t => t['name'] === name);
		const callId = id('call');
		let item: Json;
		let inProgress: Json;
		let extra: Array<[string, Json]> = [];

		const shellCall = (command: string): void => {
			let name: string;
			let args: Json;
			if (toolNamed('exec_command')) [name, args] = ['exec_command', {cmd: command}];
			else if (toolNamed('shell_command')) [name, args] = ['shell_command', {command}];
			else [name, args] = ['shell', {command: ['bash', '-lc', command]}];
			item = {type: 'function_call', id: id('fc'), call_id: callId, name, arguments: JSON.stringify(args), status: 'completed'};
			inProgress = {...item, arguments: '', status: 'in_progress'};
			extra = [
				[
					'response.function_call_arguments.delta',
					{type: 'response.function_call_arguments.delta', item_id: item['id'], output_index: 0, delta: item['arguments']},
				],
			];
		};

		if ('text' in turn) {
			const messageId = id('msg');
			inProgress = {type: 'message', id: messageId, role: 'assistant', status: 'in_progress', content: []};
			item = {...inProgress, status: 'completed', content: [{type: 'output_text', text: turn.text, annotations: []}]};
			const at = {item_id: messageId, output_index: 0, content_index: 0};
			extra = [
				['response.content_part.added', {type: 'response.content_part.added', ...at, part: {type: 'output_text', text: '', annotations: []}}],
				...chunks(turn.text).map((delta): [string, Json] => ['response.output_text.delta', {type: 'response.output_text.delta', ...at, delta}]),
				['response.output_text.done', {type: 'response.output_text.done', ...at, text: turn.text}],
				['response.content_part.done', {type: 'response.content_part.done', ...at, part: {type: 'output_text', text: turn.text, annotations: []}}],
			];
		} else if ('shell' in turn) {
			shellCall(turn.shell);
		} else {
			const patchTool = toolNamed('apply_patch');
			const patch = addFilePatch(turn.write, turn.content);
			if (patchTool?.['type'] === 'custom') {
				item = {type: 'custom_tool_call', id: id('ctc'), call_id: callId, name: 'apply_patch', input: patch, status: 'completed'};
				inProgress = {...item, input: '', status: 'in_progress'};
				extra = [
					['response.custom_tool_call_input.delta', {type: 'response.custom_tool_call_input.delta', item_id: item['id'], output_index: 0, delta: patch}],
				];
			} else if (patchTool) {
				item = {type: 'function_call', id: id('fc'), call_id: callId, name: 'apply_patch', arguments: JSON.stringify({input: patch}), status: 'completed'};
				inProgress = {...item, arguments: '', status: 'in_progress'};
			} else {
				shellCall(shellWrite(turn.write, turn.content));
			}
		}
		item = item!;
		inProgress = inProgress!;

		const base = {id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] as Json[]};
		if (body['stream'] === false) {
			this.json(res, {...base, status: 'completed', output: [item], usage: USAGE_RESPONSES});
			return;
		}
		const send = this.sseStart(res);
		send('response.created', {type: 'response.created', response: base});
		send('response.in_progress', {type: 'response.in_progress', response: base});
		send('response.output_item.added', {type: 'response.output_item.added', output_index: 0, item: inProgress});
		for (const [event, data] of extra) send(event, data);
		send('response.output_item.done', {type: 'response.output_item.done', output_index: 0, item});
		send('response.completed', {type: 'response.completed', response: {...base, status: 'completed', output: [item], usage: USAGE_RESPONSES}});
		res.end();
	}
}

function describeTurn(turn: Turn): string {
	if ('text' in turn) return `text ${JSON.stringify(turn.text.slice(0, 80))}`;
	if ('shell' in turn) return `shell ${JSON.stringify(turn.shell.slice(0, 80))}`;
	return `write ${turn.write}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const chunk of req) parts.push(chunk as Buffer);
	return Buffer.concat(parts);
}

function decode(raw: Buffer, encoding: string): Buffer {
	switch (encoding.toLowerCase()) {
		case '':
		case 'identity':
			return raw;
		case 'gzip':
			return gunzipSync(raw);
		case 'deflate':
			return inflateSync(raw);
		case 'br':
			return brotliDecompressSync(raw);
		default:
			throw new Error(`content-encoding ${encoding} is not supported`);
	}
}

/** "Primary working directory: /x" / "Working directory: /x" / "<cwd>/x</cwd>", as the CLIs put it in their prompts. */
function findCwd(...texts: string[]): string | undefined {
	for (const text of texts) {
		const match = /(?:working directory|<cwd>)\s*:?\s*(\/[^\s<]+)/i.exec(text);
		if (match) return match[1];
	}
	return undefined;
}

function anthropicRequest(path: string, body: Json, userAgent: string): ModelRequest {
	const system = typeof body['system'] === 'string' ? body['system'] : textOf(body['system']);
	const prompt: string[] = [];
	const toolResults: string[] = [];
	let first: string | undefined;
	for (const message of Array.isArray(body['messages']) ? body['messages'] : []) {
		if (!isObject(message) || message['role'] !== 'user') continue;
		const content = message['content'];
		const texts: string[] = [];
		if (typeof content === 'string') texts.push(content);
		else if (Array.isArray(content))
			for (const block of content) {
				if (!isObject(block)) continue;
				if (block['type'] === 'text') texts.push(str(block['text']));
				if (block['type'] === 'tool_result') toolResults.push(textOf(block['content']));
			}
		first ??= texts.join('\n');
		prompt.push(...texts);
	}
	const tools = (Array.isArray(body['tools']) ? body['tools'] : []).map(t => (isObject(t) ? str(t['name']) : '')).filter(Boolean);
	const text = prompt.join('\n');
	const cwd = findCwd(system, text);
	return {
		protocol: 'anthropic',
		path,
		model: str(body['model']),
		prompt: text,
		first: first ?? '',
		system,
		tools,
		toolResults,
		userAgent,
		...(cwd ? {cwd} : {}),
	};
}

function responsesRequest(path: string, body: Json, userAgent: string): ModelRequest {
	const prompt: string[] = [];
	const toolResults: string[] = [];
	const input = body['input'];
	if (typeof input === 'string') prompt.push(input);
	// codex sends its environment context (and AGENTS.md) as user messages before the prompt:
	// a session is told by all the user messages before the first answer.
	const first: string[] = [];
	let answered = false;
	for (const item of Array.isArray(input) ? input : []) {
		if (!isObject(item)) continue;
		const type = str(item['type']);
		const user = (type === 'message' || type === '') && item['role'] === 'user';
		if (user) prompt.push(textOf(item['content']));
		if (user && !answered) first.push(textOf(item['content']));
		if (!user && item['role'] !== 'developer' && item['role'] !== 'system') answered = true;
		if (type.endsWith('_call_output'))
			toolResults.push(typeof item['output'] === 'string' ? item['output'] : textOf(item['output']) || JSON.stringify(item['output']));
	}
	const tools = (Array.isArray(body['tools']) ? body['tools'] : []).map(t => (isObject(t) ? str(t['name']) || str(t['type']) : '')).filter(Boolean);
	const system = str(body['instructions']);
	const text = prompt.join('\n');
	const cwd = findCwd(text, system);
	return {
		protocol: 'responses',
		path,
		model: str(body['model']),
		prompt: text,
		first: first.join('\n'),
		system,
		tools,
		toolResults,
		userAgent,
		...(cwd ? {cwd} : {}),
	};
}

function geminiRequest(path: string, body: Json, userAgent: string): ModelRequest {
	const prompt: string[] = [];
	const toolResults: string[] = [];
	let first: string | undefined;
	for (const content of Array.isArray(body['contents']) ? body['contents'] : []) {
		if (!isObject(content) || content['role'] !== 'user') continue;
		const texts: string[] = [];
		for (const part of Array.isArray(content['parts']) ? content['parts'] : []) {
			if (!isObject(part)) continue;
			if (typeof part['text'] === 'string') texts.push(part['text']);
			if (isObject(part['functionResponse'])) toolResults.push(JSON.stringify(part['functionResponse']['response'] ?? {}));
		}
		// gemini's <session_context> and the prompt arrive together, in the first user turn.
		if (texts.length > 0) first ??= texts.join('\n');
		prompt.push(...texts);
	}
	const tools: string[] = [];
	for (const tool of Array.isArray(body['tools']) ? body['tools'] : []) {
		if (!isObject(tool)) continue;
		for (const declaration of Array.isArray(tool['functionDeclarations']) ? tool['functionDeclarations'] : [])
			if (isObject(declaration)) tools.push(str(declaration['name']));
	}
	const instruction = body['systemInstruction'];
	const system =
		isObject(instruction) && Array.isArray(instruction['parts'])
			? instruction['parts'].map(part => (isObject(part) ? str(part['text']) : '')).join('\n')
			: str(instruction);
	const text = prompt.join('\n');
	const cwd = findCwd(text, system);
	const model = /\/models\/([^:/]+):/.exec(path)?.[1] ?? '';
	return {protocol: 'gemini', path, model, prompt: text, first: first ?? '', system, tools, toolResults, userAgent, ...(cwd ? {cwd} : {})};
}
