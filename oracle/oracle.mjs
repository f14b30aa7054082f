#!/usr/bin/env node
// proofloop done-oracle.
//
// The only authority on "is this batch done?". It reads three things: the
// ticket files, .proofloop/config.json (+ the run manifest when given) and git.
// It imports nothing but node built-ins so it can be audited in one sitting and
// pinned by its sha256; the engine runs it as a separate process and an agent
// can never edit it.
//
// done's evidence: a merge commit on base's first-parent chain with a
// `Ticket: <id>` trailer, AND a record of that merge (and its verify digest)
// in the merge queue's ledger: merges.jsonl at the tip of the branch
// proofloop-ledger (refs/heads/proofloop-ledger, or in a fresh clone
// refs/remotes/origin/proofloop-ledger), which only the engine appends to.
//
// human_gated's evidence: the ledger's latest record for the ticket in
// gates.jsonl (same tree) is a gate, not an ungate; a person's `proofloop gate`
// writes it, never an agent or a ticket file.
//
//   exit 0  every ticket of the batch is done (with evidence) or human-gated (with a gate in the ledger)
//   exit 1  not done: the tickets holding it back are named
//   exit 2  cannot judge: anything unreadable, ambiguous or empty. When in
//           doubt this program says 2, never 0.
//
// Git never checks an object's content against its id when reading, so every
// object the verdict depends on (base's first-parent chain, the ledger's
// commit, tree and blob) is read here and hashed here.

import {spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readFileSync, readdirSync, realpathSync, statSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseArgs as parseCommandLine} from 'node:util';

// ---------------------------------------------------------------------------
// Front matter: a strict YAML subset. The engine's tracker imports this same
// function, so the oracle and the engine can never read a ticket differently.
// Anything outside the subset is an error with a line and a fix, never a guess.
// ---------------------------------------------------------------------------

class FrontMatterError extends Error {
	constructor(line, message, fix) {
		super(message);
		this.line = line;
		this.fix = fix;
	}
}

const bad = (line, message, fix) => {
	throw new FrontMatterError(line, message, fix);
};

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?$/;
const FLOW_KEY = /^[A-Za-z_][A-Za-z0-9_-]*/;
// Plain words that YAML 1.2 reads as floats, other number forms, or booleans
// and nulls in another spelling. We refuse them rather than disagree with
// other YAML readers about what they mean.
const AMBIGUOUS =
	/^(?:[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?|[-+]?\d+(?:_\d+)+|0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|True|TRUE|False|FALSE|Null|NULL)$/;

const isBlank = (line) => /^[ \t]*$/.test(line);
const skipWs = (s, pos) => {
	while (s[pos] === ' ' || s[pos] === '\t') pos++;
	return pos;
};

// Own-property assignment that also works for a key named "__proto__" (the
// only inherited setter of a plain object); a plain store for every other key.
function put(object, key, value) {
	if (key === '__proto__') Object.defineProperty(object, key, {value, enumerable: true, writable: true, configurable: true});
	else object[key] = value;
}

export function parseFrontMatter(text) {
	try {
		return parseOrThrow(String(text));
	} catch (error) {
		if (error instanceof FrontMatterError) return {ok: false, line: error.line, message: error.message, fix: error.fix};
		throw error;
	}
}

function parseOrThrow(text) {
	if (text.startsWith('\uFEFF')) text = text.slice(1);
	// Only the front matter is split into lines: a long body is sliced once, never split.
	const lines = [];
	let close = -1;
	let at = 0;
	while (at <= text.length) {
		const newline = text.indexOf('\n', at);
		const end = newline < 0 ? text.length : newline;
		const line = text.charCodeAt(end - 1) === 13 && end > at ? text.slice(at, end - 1) : text.slice(at, end);
		at = end + 1;
		if (lines.length > 0 && line === '---') {
			close = lines.length;
			break;
		}
		lines.push(line);
		if (lines.length === 1 && line !== '---') {
			bad(1, 'the file does not start with front matter', 'make the first line exactly ---, then key: value lines, then a closing ---');
		}
	}
	if (close < 0) bad(1, 'front matter is not closed', 'add a line that is exactly --- after the last key');

	const data = {};
	const keyLines = {};
	let i = 1;
	while (i < close) {
		const line = lines[i];
		const n = i + 1;
		if (isBlank(line) || /^[ \t]*#/.test(line)) {
			i++;
			continue;
		}
		if (line[0] === '\t') bad(n, 'a tab is used for indentation', 'indent with spaces, never tabs');
		if (line[0] === ' ') {
			bad(n, 'unexpected indented line (nested or continued values are not supported)',
				'start every key at column 1 and keep its value on one line, e.g. deps: [T-1, T-2]; for multi-line text use key: | followed by indented lines');
		}
		if (/^-(\s|$)/.test(line)) bad(n, 'a list item is not indented under its key', 'indent list items by two spaces: "  - T-1", or write the list as deps: [T-1, T-2]');
		const match = KEY_LINE.exec(line);
		if (!match) {
			bad(n, `expected 'key: value', got '${line}'`,
				'write key, colon, space, value; a key starts with a letter or _ and holds letters, digits, _ or -');
		}
		const key = match[1];
		const rest = (match[2] ?? '').trim();
		if (Object.hasOwn(data, key)) bad(n, `duplicate key '${key}' (first at line ${keyLines[key]})`, `keep one '${key}:' line and delete the other`);
		i++;
		let value;
		if (rest === '' || rest.startsWith('#')) {
			[value, i] = blockSequence(lines, i, close, key);
		} else if (/^\|-?(?:[ \t]+#.*)?$/.test(rest)) {
			[value, i] = blockLiteral(lines, i, close, rest.startsWith('|-'));
		} else {
			value = inlineValue(rest, n, key);
		}
		put(data, key, value);
		put(keyLines, key, n);
	}
	return {ok: true, data, keyLines, body: at > text.length ? '' : text.slice(at), bodyLine: close + 2};
}

// `key:` with nothing after it: either indented `- item` lines follow, or the
// value is null.
function blockSequence(lines, start, close, key) {
	const items = [];
	let indent = -1;
	let j = start;
	for (; j < close; j++) {
		const line = lines[j];
		if (isBlank(line)) continue;
		if (line[0] !== ' ' && line[0] !== '\t') break;
		if (line[0] === '\t') bad(j + 1, 'a tab is used for indentation', 'indent with spaces, never tabs');
		if (/^ +#/.test(line)) continue;
		const item = /^( +)-(?:[ \t]+(.*))?$/.exec(line);
		if (!item) {
			bad(j + 1, `'${key}' holds an indented line that is not a list item (nested mappings are not supported)`,
				`write ${key} on one line, as a list: ${key}: [a, b] or a mapping: ${key}: {a: 1, b: two}`);
		}
		if (indent < 0) indent = item[1].length;
		if (item[1].length !== indent) bad(j + 1, `list items of '${key}' are not equally indented`, `indent every item of ${key} by ${indent} spaces`);
		const text = (item[2] ?? '').trim();
		if (text === '' || text.startsWith('#')) bad(j + 1, `empty list item in '${key}'`, 'write a value after "- " or delete the line');
		const [value, end] = readScalar(text, 0, j + 1, false);
		afterValue(text, end, j + 1);
		items.push(value);
	}
	return [items.length > 0 ? items : null, j];
}

// `key: |` keeps one final newline, `key: |-` none. The block is every
// following indented or blank line; its first line sets the indentation.
function blockLiteral(lines, start, close, strip) {
	const kept = [];
	let indent = -1;
	let j = start;
	for (; j < close; j++) {
		const line = lines[j];
		if (isBlank(line)) {
			kept.push(line);
			continue;
		}
		if (line[0] !== ' ' && line[0] !== '\t') break;
		const lead = /^ */.exec(line)[0].length;
		if (lead === 0) bad(j + 1, 'a tab is used for indentation', 'indent with spaces, never tabs');
		if (indent < 0) indent = lead;
		if (lead < indent) bad(j + 1, 'this line is less indented than the first line of its | block', `indent every line of the block by at least ${indent} spaces`);
		kept.push(line);
	}
	while (kept.length > 0 && isBlank(kept.at(-1))) kept.pop();
	if (kept.length === 0) return ['', j];
	const text = kept.map((line) => (line.length > indent ? line.slice(indent) : '')).join('\n');
	return [strip ? text : `${text}\n`, j];
}

// A value on the key's own line: a scalar, [a, b] or {k: v}.
function inlineValue(text, n, key) {
	if (text[0] === '>') bad(n, 'folded scalars (>) are not supported', `use a literal block: ${key}: | followed by indented lines`);
	if (text[0] === '|') bad(n, 'unsupported block scalar header', 'write | (keeps one final newline) or |- (keeps none)');
	if (text[0] === '[' || text[0] === '{') return flowCollection(text, n, key);
	const [value, end] = readScalar(text, 0, n, false);
	afterValue(text, end, n);
	return value;
}

function afterValue(text, pos, n) {
	const rest = text.slice(pos);
	if (!isBlank(rest) && !/^[ \t]+#/.test(rest)) {
		bad(n, `unexpected text after the value: '${rest.trim()}'`, 'quote the whole value, e.g. title: "a value with \'quotes\' in it"');
	}
}

// [a, "b c", 'd', 3] or {by: alice, "at": "…"}: one line, scalars only.
function flowCollection(text, n, key) {
	const list = text[0] === '[';
	const close = list ? ']' : '}';
	const example = list ? `${key}: [T-1, T-2]` : `${key}: {by: alice, reason: "why"}`;
	const out = list ? [] : {};
	let pos = skipWs(text, 1);
	if (text[pos] === close) {
		pos++;
	} else {
		for (;;) {
			let name;
			if (!list) {
				[name, pos] = flowKey(text, pos, n, example);
				if (Object.hasOwn(out, name)) bad(n, `duplicate key '${name}' in ${key}`, 'keep one of them');
			}
			let value;
			[value, pos] = readScalar(text, pos, n, true);
			if (list) out.push(value);
			else put(out, name, value);
			pos = skipWs(text, pos);
			if (text[pos] === ',') {
				pos++;
				continue;
			}
			if (text[pos] === close) {
				pos++;
				break;
			}
			if (pos >= text.length || text[pos] === '#') bad(n, `unterminated ${list ? 'list' : 'mapping'}: missing '${close}'`, `close it on the same line, e.g. ${example}`);
			bad(n, `unexpected '${text[pos]}' in the value of ${key}`, `write it as ${example}; quote items that hold , [ ] { } or #`);
		}
	}
	afterValue(text, pos, n);
	return out;
}

function flowKey(text, pos, n, example) {
	pos = skipWs(text, pos);
	let name;
	const quoted = text[pos] === '"' || text[pos] === "'";
	if (quoted) {
		[name, pos] = quotedScalar(text, pos, n);
	} else {
		name = FLOW_KEY.exec(text.slice(pos))?.[0];
		if (name === undefined) bad(n, 'expected a key inside { }', `write it as ${example}`);
		pos += name.length;
	}
	pos = skipWs(text, pos);
	// A plain key needs ": " (YAML reads "a:1" as one word); a quoted one may touch the colon.
	if (text[pos] !== ':' || (!quoted && !/[ \t]/.test(text[pos + 1] ?? ''))) bad(n, "expected 'key: value' inside { }", `write it as ${example}`);
	return [name, pos + 1];
}

// One scalar starting at pos (after blanks). In a flow collection a plain
// scalar ends at , ] or }; elsewhere at " #" or the end of the line.
const FLOW_STOP = /[,\]}]|[ \t]#/g;
const LINE_STOP = /[ \t]#/g;
function readScalar(text, pos, n, inFlow) {
	pos = skipWs(text, pos);
	if (text[pos] === '"' || text[pos] === "'") return quotedScalar(text, pos, n);
	const stop = inFlow ? FLOW_STOP : LINE_STOP;
	stop.lastIndex = pos;
	const end = stop.exec(text)?.index ?? text.length;
	return [plainScalar(text.slice(pos, end).trim(), n, inFlow), end];
}

function plainScalar(word, n, inFlow) {
	if (word === '') bad(n, 'empty item', 'write a value or remove the extra comma');
	if (/^[&*!%@`|>]/.test(word)) {
		bad(n, `'${word[0]}' cannot start an unquoted value (anchors, aliases, tags and block scalars are not supported here)`, `quote the value: ${JSON.stringify(word)}`);
	}
	if (/^[-?:](\s|$)/.test(word)) bad(n, `'${word}' starts with '${word[0]}', which YAML reads as structure`, `quote the value: ${JSON.stringify(word)}`);
	if (/:(\s|$)/.test(word)) bad(n, `'${word}' holds ': ' or ends with ':', which YAML reads as a nested key`, `quote the value: ${JSON.stringify(word)}`);
	if (inFlow && /[[{]/.test(word)) bad(n, 'nested lists and mappings are not supported', 'keep one level: deps: [T-1, T-2], gate: {by: alice, reason: "why"}');
	if (/^-?\d+$/.test(word)) return Number(word);
	if (word === 'true') return true;
	if (word === 'false') return false;
	if (word === 'null' || word === '~') return null;
	if (AMBIGUOUS.test(word)) bad(n, `'${word}' is read as a number, boolean or null by other YAML readers`, `quote it if you mean text: ${JSON.stringify(word)}; numbers are plain integers, booleans are true/false`);
	return word;
}

function quotedScalar(text, pos, n) {
	if (text[pos] === "'") {
		let out = '';
		for (let i = pos + 1; i < text.length; i++) {
			if (text[i] !== "'") {
				out += text[i];
			} else if (text[i + 1] === "'") {
				out += "'";
				i++;
			} else {
				return [out, i + 1];
			}
		}
		bad(n, 'unterminated single-quoted string', "close it with ' on the same line (write '' for a literal ')");
	}
	let i = pos + 1;
	while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
	if (i >= text.length) bad(n, 'unterminated double-quoted string', 'close it with " on the same line (write \\" for a literal ")');
	try {
		// JSON escapes are the subset; YAML also allows a raw tab inside quotes.
		return [JSON.parse(text.slice(pos, i + 1).replaceAll('\t', '\\t')), i + 1];
	} catch {
		return bad(n, 'invalid escape in a double-quoted string', 'use JSON escapes only: \\" \\\\ \\n \\t \\uXXXX');
	}
}

// ---------------------------------------------------------------------------
// Ticket keys: a closed set. A typo'd key (depends: for deps:) would silently
// drop what it says, so it is an error naming the closest known key. The
// engine's tracker runs this same check; its zod schema must list these keys.
// ---------------------------------------------------------------------------

export const TICKET_KEYS = [
	'id', 'title', 'status', 'batch', 'deps', 'locks', 'priority', 'checks', 'verify', 'demo',
	'merge_commit', 'verify_digest', 'done_at', 'attempts', 'failure', 'gate', 'allow',
	'discovered_from', 'filed_by_run', 'block', 'source',
	'engine', 'labels', 'size',
];

// Words people write for a known key that no edit distance would find.
const KEY_ALIASES = {
	depends: 'deps', depends_on: 'deps', dependencies: 'deps', requires: 'deps', needs: 'deps', after: 'deps', blocked_by: 'deps',
	lock: 'locks', check: 'checks', tests: 'checks', verification: 'verify', name: 'title', summary: 'title', state: 'status', dep: 'deps',
};

function editDistance(a, b) {
	let row = Array.from({length: b.length + 1}, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const next = [i];
		for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
		row = next;
	}
	return row[b.length];
}

/** The known key a person most likely meant, or undefined when none is close. */
export function closestTicketKey(key) {
	const lower = key.toLowerCase().replaceAll('-', '_');
	if (Object.hasOwn(KEY_ALIASES, lower)) return KEY_ALIASES[lower];
	if (TICKET_KEYS.includes(lower)) return lower;
	let best;
	let bestDistance = Infinity;
	for (const known of TICKET_KEYS) {
		const distance = editDistance(lower, known);
		if (distance < bestDistance) [best, bestDistance] = [known, distance];
	}
	return bestDistance <= Math.max(1, Math.floor(key.length / 2)) ? best : undefined;
}

/** Every front-matter key outside TICKET_KEYS, in file order, with its line and the fix. */
export function unknownTicketKeys(data, keyLines) {
	return Object.keys(data)
		.filter((key) => !TICKET_KEYS.includes(key))
		.map((key) => {
			const near = closestTicketKey(key);
			return {
				key,
				line: keyLines[key] ?? 1,
				message: `unknown key '${key}'${near ? ` (did you mean ${near}?)` : ''}`,
				fix: near ? `rename it to '${near}:'` : `remove it; a ticket's keys are ${TICKET_KEYS.join(', ')}`,
			};
		});
}

// ---------------------------------------------------------------------------
// The verdict.
// ---------------------------------------------------------------------------

const STATUSES = ['todo', 'in_progress', 'blocked', 'merged', 'done', 'human_gated', 'failed'];
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SHA = /^[0-9a-f]{40}$/;
const USAGE = 'usage: node oracle.mjs --repo <dir> [--manifest <file>] [--batch <name>] [--json]';

class CannotJudge extends Error {}
const cannot = (message) => {
	throw new CannotJudge(message);
};

export async function main(argv) {
	const json = argv.includes('--json');
	const seen = {batch: null, base: null};
	let result;
	try {
		result = await judge(parseArgs(argv), seen);
	} catch (error) {
		// Fail closed: any surprise, even a bug in this file, is "cannot judge".
		const message = error instanceof CannotJudge ? error.message : `internal error: ${error?.stack ?? error}`;
		result = {verdict: 'cannot_judge', exit: 2, batch: seen.batch, base: seen.base, total: 0, passing: 0, tickets: [], error: message};
	}
	if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
	else if (result.exit === 2) process.stderr.write(`oracle: CANNOT JUDGE: ${result.error}\n`);
	else process.stdout.write(humanReport(result));
	return result.exit;
}

function parseArgs(argv) {
	const options = {repo: {type: 'string'}, manifest: {type: 'string'}, batch: {type: 'string'}, json: {type: 'boolean'}};
	let values;
	try {
		({values} = parseCommandLine({args: argv, options, strict: true, allowPositionals: false}));
	} catch (error) {
		cannot(`${error.message}\n${USAGE}`);
	}
	if (values.repo === undefined) cannot(`--repo is required\n${USAGE}`);
	return {repo: values.repo, manifest: values.manifest, batch: values.batch};
}

function readJson(path, label, fix = 'check the path') {
	let text;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		cannot(`cannot read ${label}: ${error.code ?? error.message} (fix: ${fix})`);
	}
	try {
		const value = JSON.parse(text);
		if (value === null || typeof value !== 'object' || Array.isArray(value)) cannot(`${label} is not a JSON object`);
		return value;
	} catch (error) {
		if (error instanceof CannotJudge) throw error;
		return cannot(`${label} is not valid JSON: ${error.message}`);
	}
}

const nonEmptyString = (value) => typeof value === 'string' && value.trim() !== '';

async function judge(opts, seen) {
	const root = resolve(opts.repo);
	const config = readJson(join(root, '.proofloop', 'config.json'), '.proofloop/config.json', 'run `proofloop init` in the repository, or pass --repo its root');
	const trackerDir = config.tracker?.dir ?? '.proofloop/tickets';
	if (!nonEmptyString(trackerDir)) cannot('tracker.dir in .proofloop/config.json is not a string');

	const batch = opts.batch ?? config.batch;
	if (!nonEmptyString(batch)) cannot('no batch: pass --batch or set "batch" in .proofloop/config.json');
	seen.batch = batch;

	const manifest = opts.manifest === undefined ? undefined : readJson(resolve(opts.manifest), opts.manifest);
	const base = manifest?.base_branch ?? config.base ?? 'main';
	if (!nonEmptyString(base) || base.startsWith('-')) cannot(`base branch ${JSON.stringify(base)} is not a branch name`);
	seen.base = base;

	const files = readTicketFiles(root, trackerDir);
	// Git is asked only once every ticket file was read (evidence that came before a
	// file said done is always seen with it), and answers while the tickets are parsed.
	const asked = new GitAsked(root, base);
	try {
		// Evidence now when some file may claim done or gated (parsed, it is asked for then).
		if (files.some((f) => f.text?.includes('done') || f.text?.includes('human_gated'))) asked.evidence();
		return await judgeFiles({root, trackerDir, batch, manifest, base, files, asked});
	} finally {
		asked.stop();
	}
}

async function judgeFiles({root, trackerDir, batch, manifest, base, files, asked}) {
	const tickets = parseTickets(files);
	const members = tickets.filter((t) => t.data.batch === batch);
	if (members.length === 0) {
		cannot(`batch '${batch}' is empty: no ticket in ${trackerDir} has 'batch: ${batch}' (a selector that matches nothing is an error, never a pass)`);
	}
	// After the empty check, so a selector that matches nothing is reported as exactly that.
	if (manifest && manifest.batch !== batch) {
		cannot(`batch selector changed since the run started: pinned '${manifest.batch}', now '${batch}'`);
	}
	if (manifest) checkPinned(manifest, tickets, batch);

	const {repo, tip} = await asked.probe();
	if (repo.status !== 0) cannot(`${root} is not a git repository`);
	const format = repo.stdout.trim().split('\n').at(-1);
	if (format !== 'sha1' && format !== 'sha256') cannot(`unknown object format '${format}' (extensions.objectformat)`);
	if (tip.status !== 0) {
		// The ref may exist and name a forged or non-commit object: say which.
		if (git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${base}`]).status === 0) checked(readObjects(root, [`refs/heads/${base}`])[0], 'commit', `the tip of ${base}`, format);
		cannot(`base branch '${base}' does not exist (no refs/heads/${base}; fix: create it, or set "base" in .proofloop/config.json)`);
	}

	// Evidence is read only when some ticket claims done or gated, in a fixed number of
	// git processes: a live engine asks every second, for batches of hundreds.
	const claiming = members.filter((t) => t.data.status === 'done' || t.data.status === 'human_gated');
	const evidence = claiming.length > 0 ? readEvidence(root, base, format, await asked.evidence()) : undefined;
	const results = members.map((t) => ({id: t.data.id, status: t.data.status, ...judgeTicket(root, base, t.data, evidence)}));
	const passing = results.filter((r) => r.passing).length;
	const done = passing === results.length;
	return {verdict: done ? 'done' : 'not_done', exit: done ? 0 : 1, batch, base, total: results.length, passing, tickets: results};
}

// Every ticket pinned at run start must still be there, in the same batch:
// deleting or moving a hard ticket must not make the batch "done".
function checkPinned(manifest, tickets, batch) {
	const ids = manifest.ticket_ids;
	if (!Array.isArray(ids) || !ids.every(nonEmptyString)) cannot('manifest ticket_ids is not a list of ticket ids');
	// One Map over the (id-unique) tickets: a search per pinned id was quadratic.
	const byId = new Map(tickets.map((t) => [t.data.id, t]));
	for (const id of ids) {
		const ticket = byId.get(id);
		if (!ticket) cannot(`pinned ticket ${id} is missing from the batch (no ticket file has id ${id})`);
		if (ticket.data.batch !== batch) cannot(`pinned ticket ${id} is missing from the batch (${ticket.file} now has batch ${JSON.stringify(ticket.data.batch ?? null)})`);
	}
}

// Every *.md directly in the tracker dir, read: [{file, text}], or {file, error}
// for one that cannot be read (said in file order by parseTickets).
function readTicketFiles(root, trackerDir) {
	const dir = resolve(root, trackerDir);
	let names;
	try {
		// Entry types come with the listing: only a symlink (or an unknown type) needs its own stat.
		names = readdirSync(dir, {withFileTypes: true}).filter((entry) => entry.name.endsWith('.md')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	} catch (error) {
		cannot(`no ticket directory at ${trackerDir} (${error.code ?? error.message}; fix: run \`proofloop init\`, or set tracker.dir in .proofloop/config.json)`);
	}
	const files = [];
	const prefix = trackerDir.replace(/\/+$/, '');
	for (const entry of names) {
		const name = entry.name;
		const file = `${prefix}/${name}`;
		try {
			const known = entry.isFile() || entry.isDirectory() || entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice();
			if (!(known ? entry.isFile() : statSync(join(dir, name)).isFile())) continue;
			files.push({file, text: readFileSync(join(dir, name), 'utf8')});
		} catch (error) {
			files.push({file, error});
		}
	}
	return files;
}

// All of them valid, ids unique. One unreadable ticket anywhere means no
// verdict: we cannot know its batch.
function parseTickets(files) {
	const tickets = [];
	const ids = new Map();
	for (const {file, text, error} of files) {
		if (error) cannot(`cannot read ${file} (${error.code ?? error.message})`);
		const parsed = parseFrontMatter(text);
		if (!parsed.ok) cannot(`${file}:${parsed.line}: ${parsed.message} (fix: ${parsed.fix})`);
		const {data, keyLines} = parsed;
		// A key this oracle does not know may mean something it would ignore: no verdict (fail closed).
		const [unknown] = unknownTicketKeys(data, keyLines);
		if (unknown) cannot(`${file}:${unknown.line}: ${unknown.message} (fix: ${unknown.fix})`);
		if (!nonEmptyString(data.id)) cannot(`${file}:${keyLines.id ?? 1}: missing id (fix: add a line 'id: T-1')`);
		if (!STATUSES.includes(data.status)) {
			const what = data.status === undefined ? 'missing status' : `unknown status ${JSON.stringify(data.status)}`;
			cannot(`${file}:${keyLines.status ?? 1}: ${what} (fix: use one of ${STATUSES.join(', ')})`);
		}
		if (ids.has(data.id)) cannot(`${file}:${keyLines.id}: duplicate id '${data.id}' (also in ${ids.get(data.id)})`);
		ids.set(data.id, file);
		tickets.push({file, data});
	}
	return tickets;
}

function judgeTicket(root, base, data, evidence) {
	if (data.status === 'done') return judgeDone(root, base, data, evidence);
	if (data.status === 'human_gated') return judgeGated(data, evidence.ledger);
	return {passing: false, reason: data.status};
}

// A ticket file that says human_gated is text anyone can write: it counts only
// when the ledger's latest gate record for the ticket is a gate, not an ungate.
function judgeGated({id, gate}, ledger) {
	const recorded = gate !== null && typeof gate === 'object' && !Array.isArray(gate) && ['by', 'at', 'reason'].every((k) => nonEmptyString(gate[k]));
	if (!recorded) return {passing: false, reason: 'human_gated without a recorded gate (by, at, reason)'};
	const latest = ledger.gates.get(id);
	const fix = `if a person gated it, record the gate with \`proofloop gate ${id} --reason "..."\`; otherwise \`proofloop ungate ${id}\` gives it back to the loop`;
	if (latest === undefined) return {passing: false, reason: `says human_gated but the ledger has no gate for it (${ledger.ref ?? 'no ledger'}): ${fix}`};
	if (latest.kind !== 'gate') return {passing: false, reason: `says human_gated but the ledger's latest record for it is an ungate by ${latest.by} (${ledger.ref}): ${fix}`};
	return {passing: true, reason: `human_gated by ${latest.by}: ${latest.reason}`};
}

// done counts only with evidence: a merge commit on base that names the ticket.
function judgeDone(root, base, {id, merge_commit: sha, verify_digest: digest}, {chain, ledger}) {
	if (sha === undefined || sha === null) return {passing: false, reason: 'done without evidence: no merge_commit'};
	if (typeof sha !== 'string' || !SHA.test(sha)) return {passing: false, reason: `done without evidence: merge_commit ${JSON.stringify(sha)} is not a 40-hex commit sha`};
	if (typeof digest !== 'string' || !DIGEST.test(digest)) return {passing: false, reason: 'done without evidence: no verify_digest (merged is not shipped)'};
	const short = sha.slice(0, 7);
	// Merges land on base itself: a commit that only reached base through some
	// branch's history (an agent's own commit with a forged trailer) is no merge.
	// On that chain means in the repository and reachable; off it, say which of the three failed.
	if (!chain.has(sha)) {
		if (git(root, ['cat-file', '-e', `${sha}^{commit}`]).status !== 0) return {passing: false, reason: `merge commit ${short} is not in the repository`};
		const ancestor = git(root, ['merge-base', '--is-ancestor', sha, `refs/heads/${base}`]);
		if (ancestor.status === 1) return {passing: false, reason: `merge commit ${short} is not reachable from ${base}`};
		if (ancestor.status !== 0) cannot(`git merge-base failed for ${id}: ${ancestor.stderr.trim()}`);
		return {passing: false, reason: `commit ${short} is not a merge on ${base}'s own history (first-parent chain)`};
	}
	const message = chain.get(sha);
	const trailer = `Ticket: ${id}`;
	if (!trailerBlock(message).includes(trailer)) {
		return {passing: false, reason: `merge commit ${short} has no '${trailer}' trailer`};
	}
	// A trailer anyone can write; the ledger only the merge queue appends to.
	if (ledger.ref === undefined) return {passing: false, reason: `merge ${short} is not in the merge queue's record: there is no ledger (neither ${LEDGER_REFS.join(' nor ')} exists)`};
	const digests = ledger.records.get(`${id}\0${sha}`);
	if (digests === undefined) return {passing: false, reason: `merge ${short} is not in the merge queue's record (${ledger.ref}) for ${id}`};
	if (!digests.has(digest)) return {passing: false, reason: `verify_digest ${digest.slice(0, 19)}… is not the one the merge queue recorded for merge ${short} (${ledger.ref})`};
	return {passing: true, reason: `done: merge commit ${short} is on ${base} and in the merge queue's record`};
}

// The merge queue's ledger: the local branch, else (a fresh clone) origin's.
const LEDGER_REFS = ['refs/heads/proofloop-ledger', 'refs/remotes/origin/proofloop-ledger'];

// What the first pass asks cat-file besides the chain: base's tip, each ledger
// ref's commit and, read through the ref, its tree and files (used when they are
// the ones that commit names: the ref may have moved in between).
const firstNames = (base) => [
	`refs/heads/${base}`,
	...LEDGER_REFS,
	...LEDGER_REFS.flatMap((ref) => [`${ref}^{tree}`, `${ref}:merges.jsonl`, `${ref}:gates.jsonl`]),
];

// The evidence done is judged on, every object of it hash-checked:
// chain: base's first-parent chain as a Map commit id -> message, walked here
// from base's tip (rev-list only names the commits to fetch, so a chain it
// got wrong can only come out shorter, never longer);
// ledger: {ref, records, gates} (see parseLedger, parseGates), ref undefined when neither exists.
// `piped`: rev-list's output and cat-file's answer for firstNames(base) then every line of it.
function readEvidence(root, base, format, {list, objects: out}) {
	if (list.status !== 0) cannot(`git rev-list failed for ${base}: ${list.stderr.trim()}`);
	if (out.status !== 0) cannot(`git cat-file failed: ${String(out.stderr).trim()}`);
	const hinted = list.stdout.split('\n');
	if (hinted.at(-1) === '') hinted.pop();
	const first = firstNames(base);
	const objects = parseObjects(out.stdout, [...first, ...hinted], new Set(first.slice(1 + LEDGER_REFS.length)));
	const tip = objects[0];
	const byId = new Map();
	for (let i = first.length; i < objects.length; i++) if (objects[i]) byId.set(objects[i].id, objects[i]);

	const chain = new Map();
	for (let commit = tip; commit !== undefined && !chain.has(commit.id); ) {
		const {parent, message} = parseCommit(checked(commit, 'commit', `a commit on ${base}'s first-parent chain`, format));
		chain.set(commit.id, message);
		commit = parent === undefined ? undefined : byId.get(parent);
	}
	const named = LEDGER_REFS.map((_, i) => objects.slice(1 + LEDGER_REFS.length + 3 * i, 4 + LEDGER_REFS.length + 3 * i));
	return {chain, ledger: readLedger(root, format, objects.slice(1, 1 + LEDGER_REFS.length), named)};
}

// The first ledger ref whose tree has merges.jsonl: its commit -> tree ->
// merges.jsonl and gates.jsonl, each hash-checked. `named`: per ref, the
// [tree, merges.jsonl, gates.jsonl] read through the ref in the first pass.
function readLedger(root, format, commits, named) {
	const present = [];
	for (const [i, commit] of commits.entries()) {
		if (commit === undefined) continue;
		const tree = /^tree ([0-9a-f]+)$/m.exec(checked(commit, 'commit', `the ledger commit (${LEDGER_REFS[i]})`, format).content.toString('latin1'))?.[1];
		if (tree === undefined) cannot(`the ledger commit ${commit.id} (${LEDGER_REFS[i]}) names no tree`);
		present.push({ref: LEDGER_REFS[i], tree, objects: named[i]});
	}
	// A ref that moved after its commit was read named another tree: that commit's own is read by its id.
	const moved = present.filter(({tree, objects}) => objects[0]?.id !== tree);
	const again = readObjects(root, moved.flatMap(({tree}) => [tree, `${tree}:merges.jsonl`, `${tree}:gates.jsonl`]));
	for (const [i, entry] of moved.entries()) entry.objects = again.slice(3 * i, 3 * i + 3);
	for (const {ref, objects} of present) {
		const tree = checked(objects[0], 'tree', `the ledger's tree (${ref})`, format);
		const merges = ledgerFile(root, tree, objects[1], 'merges.jsonl', ref, format);
		if (merges === undefined) continue;
		// gates.jsonl: a person's gates and ungates, absent until the first one.
		const gates = ledgerFile(root, tree, objects[2], 'gates.jsonl', ref, format) ?? '';
		return {ref, records: parseLedger(merges, ref), gates: parseGates(gates, ref)};
	}
	return {ref: undefined, records: new Map(), gates: new Map()};
}

// The text of `name` in the ledger's tree, the blob found through the entry we parsed ourselves; undefined when absent.
function ledgerFile(root, tree, blob, name, ref, format) {
	const entry = treeEntry(tree.content, name, format);
	if (entry === undefined) return undefined;
	// Read through the ref, the blob may be a newer one (the ref moved): then the tree's own, by its path.
	if (/^100(644|755)$/.test(entry.mode) && blob?.id !== entry.id) blob = readObjects(root, [`${tree.id}:${name}`])[0];
	if (!/^100(644|755)$/.test(entry.mode) || blob?.id !== entry.id) cannot(`${ref}:${name} is not the blob ${entry.id} its tree names (fix: git fsck)`);
	return checked(blob, 'blob', `the ledger's ${name} (${ref})`, format).content.toString('utf8');
}

// One `git cat-file --batch` for all names: [{id, type, content}] or undefined for a missing one.
function readObjects(root, names) {
	if (names.length === 0) return [];
	const out = git(root, ['cat-file', '--batch'], {input: Buffer.from(names.map((name) => `${name}\n`).join('')), encoding: 'buffer'});
	if (out.status !== 0) cannot(`git cat-file failed: ${String(out.stderr).trim()}`);
	return parseObjects(out.stdout, names, new Set());
}

const OBJECT_HEADER = /^([0-9a-f]{40}|[0-9a-f]{64}) (commit|tree|blob|tag) (\d+)$/;

// cat-file --batch's answer for `names`, in order. A name in `optional` may get
// any answer without content (missing, ambiguous, ...): it is undefined then.
function parseObjects(buffer, names, optional) {
	let pos = 0;
	return names.map((name) => {
		const newline = buffer.indexOf(10, pos);
		if (newline < 0) cannot(`git cat-file gave no answer for ${name}`);
		const header = buffer.toString('utf8', pos, newline);
		pos = newline + 1;
		const match = OBJECT_HEADER.exec(header);
		if (!match) {
			if (header === `${name} missing` || optional.has(name)) return undefined;
			cannot(`git cat-file gave '${header}' for ${name}`);
		}
		const size = Number(match[3]);
		const content = buffer.subarray(pos, pos + size);
		pos += content.length + 1;
		if (content.length !== size) cannot(`git cat-file cut ${name} short`);
		return {id: match[1], type: match[2], content};
	});
}

// The object as read, once its content hashes to its id and its type is `type`.
function checked(object, type, what, format) {
	if (object === undefined) cannot(`${what} is missing from the object store (fix: git fsck)`);
	const actual = createHash(format).update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
	if (actual !== object.id) {
		cannot(`the object store is corrupt or forged: ${what} ${object.id} holds content that hashes to ${actual} (git does not check this when reading; fix: run git fsck, and restore that object from a clone)`);
	}
	if (object.type !== type) cannot(`${what} ${object.id} is a ${object.type}, not a ${type}`);
	return object;
}

// A commit's first parent (its first `parent` header line) and message (after the first blank line).
const FIRST_PARENT = /^parent ([0-9a-f]+)$/m;
function parseCommit({content}) {
	const text = content.toString('utf8');
	const end = text.indexOf('\n\n');
	const headers = end < 0 ? text : text.slice(0, end);
	return {parent: FIRST_PARENT.exec(headers)?.[1], message: end < 0 ? '' : text.slice(end + 2)};
}

// A tree is entries "<mode> <name>\0<raw id>"; the entry called `name`, if any.
function treeEntry(content, name, format) {
	const width = format === 'sha256' ? 32 : 20;
	for (let pos = 0; pos < content.length; ) {
		const nul = content.indexOf(0, pos);
		if (nul < 0 || nul + 1 + width > content.length) cannot('the ledger tree is malformed (fix: git fsck)');
		const [mode, ...rest] = content.subarray(pos, nul).toString('utf8').split(' ');
		if (rest.join(' ') === name) return {mode, id: content.subarray(nul + 1, nul + 1 + width).toString('hex')};
		pos = nul + 1 + width;
	}
	return undefined;
}

function parseLedger(text, ref) {
	const records = new Map();
	const lines = text.split('\n');
	for (const [index, line] of lines.entries()) {
		if (line === '' && index === lines.length - 1) break;
		let record;
		try {
			record = JSON.parse(line);
		} catch {
			record = undefined;
		}
		const valid = record !== null && typeof record === 'object' && nonEmptyString(record.ticket) && typeof record.merge === 'string' && SHA.test(record.merge) && typeof record.verify_digest === 'string' && DIGEST.test(record.verify_digest);
		if (!valid) cannot(`${ref}:merges.jsonl line ${index + 1} is not a merge record (only the engine writes this ledger; fix: restore the branch from a clone or its reflog)`);
		const key = `${record.ticket}\0${record.merge}`;
		if (!records.has(key)) records.set(key, new Set());
		records.get(key).add(record.verify_digest);
	}
	return records;
}

// ticket -> its latest gate record ({kind: 'gate', by, reason} or {kind: 'ungate', by}): the last line wins.
function parseGates(text, ref) {
	const gates = new Map();
	const lines = text.split('\n');
	for (const [index, line] of lines.entries()) {
		if (line === '' && index === lines.length - 1) break;
		let record;
		try {
			record = JSON.parse(line);
		} catch {
			record = undefined;
		}
		const valid = record !== null && typeof record === 'object' && nonEmptyString(record.ticket) && nonEmptyString(record.by) && (record.kind === 'ungate' || (record.kind === 'gate' && nonEmptyString(record.reason)));
		if (!valid) cannot(`${ref}:gates.jsonl line ${index + 1} is not a gate record (only the engine and a person's \`proofloop gate\` write this ledger; fix: restore the branch from a clone or its reflog)`);
		gates.set(record.ticket, record);
	}
	return gates;
}

// Trailers live in the message's last paragraph; a "Ticket:" line in the body does not count.
function trailerBlock(message) {
	const paragraphs = message.replace(/\r/g, '').trim().split(/\n\s*\n/);
	return (paragraphs.at(-1) ?? '').split('\n').map((line) => line.trim());
}

// No shell. Replacement refs, grafts, the commit-graph file and a caller's
// GIT_DIR must not change what git reports about ancestry: all are switched off.
function gitEnv() {
	const env = {...process.env, GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null'};
	for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE']) {
		delete env[name];
	}
	return env;
}
const gitArgs = (root, args) => ['-C', root, '--no-replace-objects', '-c', 'core.commitGraph=false', ...args];

function git(root, args, extra = {}) {
	const result = spawnSync('git', gitArgs(root, args), {encoding: 'utf8', env: gitEnv(), maxBuffer: 1024 * 1024 * 1024, ...extra});
	if (result.error) cannot(`cannot run git: ${result.error.message}`);
	return result;
}

// The git processes a verdict needs, started at once (the same commands, each
// as git() runs it), so they run on another core while the tickets are parsed.
class GitAsked {
	#children = [];
	#probe;
	#evidence;

	constructor(root, base) {
		this.root = root;
		this.base = base;
		// Whether root is a repository (and its object format); whether base names a commit.
		this.#probe = Promise.all([
			this.#run(['rev-parse', '--git-dir', '--show-object-format'], 'utf8').done,
			this.#run(['rev-parse', '--verify', '--quiet', `refs/heads/${base}^{commit}`], 'utf8').done,
		]);
	}

	async probe() {
		const [repo, tip] = (await this.#probe).map(ran);
		return {repo, tip};
	}

	// rev-list's output piped into cat-file after firstNames(base): one pass reads the chain and the ledger.
	evidence() {
		this.#evidence ??= (() => {
			const list = this.#run(['rev-list', '--first-parent', `refs/heads/${this.base}`], 'utf8');
			const objects = this.#run(['cat-file', '--batch', '--buffer'], 'buffer', true);
			const stdin = objects.child.stdin;
			// A cat-file that could not start or died early is said by its exit, not by this pipe.
			stdin.on('error', () => undefined);
			stdin.write(firstNames(this.base).map((name) => `${name}\n`).join(''));
			list.child.stdout.on('data', (chunk) => stdin.write(chunk));
			list.done.then(() => stdin.end());
			return Promise.all([list.done, objects.done]);
		})();
		return this.#evidence.then(([list, objects]) => ({list: ran(list), objects: ran(objects)}));
	}

	// Nothing outlives the verdict (a judgment cut short leaves no git behind).
	stop() {
		for (const child of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	}

	#run(args, encoding, input = false) {
		const child = spawn('git', gitArgs(this.root, args), {env: gitEnv(), stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe']});
		this.#children.push(child);
		const out = [];
		const err = [];
		child.stdout.on('data', (chunk) => out.push(chunk));
		child.stderr.on('data', (chunk) => err.push(chunk));
		const done = new Promise((resolve) => {
			child.on('error', (error) => resolve({error}));
			child.on('close', (status) => {
				const stdout = Buffer.concat(out);
				resolve({status, stdout: encoding === 'utf8' ? stdout.toString('utf8') : stdout, stderr: Buffer.concat(err).toString('utf8')});
			});
		});
		return {child, done};
	}
}

// A finished git process, as git() returns it.
function ran(result) {
	if (result.error) cannot(`cannot run git: ${result.error.message}`);
	return result;
}

function humanReport(result) {
	if (result.exit === 0) {
		return `oracle: DONE: ${result.passing}/${result.total} tickets of batch '${result.batch}' are done or human-gated (base ${result.base})\n`;
	}
	const failing = result.tickets.filter((t) => !t.passing);
	const width = Math.max(...failing.map((t) => t.id.length));
	const lines = failing.map((t) => `  ${t.id.padEnd(width)}  ${t.reason}`);
	return `oracle: NOT DONE: ${failing.length} of ${result.total} tickets of batch '${result.batch}' hold it back:\n${lines.join('\n')}\n`;
}

// Run only when executed directly, not when imported by the engine's tracker.
// The engine runs the bytes it checked against the pin from stdin
// (`node --input-type=module - <args>`): there is no file to swap.
function invokedDirectly() {
	if (process.argv[1] === '-' && !import.meta.url.endsWith('/oracle.mjs')) return true;
	try {
		return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
	} catch {
		return false;
	}
}

// A promise that fails (a bug, a write that throws) is "cannot judge", never "not done".
if (invokedDirectly()) {
	main(process.argv.slice(2)).then(
		(exit) => {
			process.exitCode = exit;
		},
		(error) => {
			process.stderr.write(`oracle: CANNOT JUDGE: internal error: ${error?.stack ?? error}\n`);
			process.exitCode = 2;
		},
	);
}
