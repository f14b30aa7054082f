/**
 * The block-style YAML our Kubernetes manifests are written in (deploy/k8s/): mappings,
 * sequences, plain, quoted and JSON-flow scalars, comments, `---` between documents.
 * Anything else (anchors, block scalars, non-empty flow maps, tabs) is refused with its
 * line, so a manifest the test cannot read fails instead of passing unread.
 * The project has no YAML dependency, and these files need none.
 */
export type Yaml = string | number | boolean | null | Yaml[] | {[key: string]: Yaml};

type Line = {no: number; indent: number; text: string};

const KEY = /^([A-Za-z0-9_./$-]+|"[^"]*"):(?: +(.*))?$/;

function stripComment(text: string): string {
	let quote: string | undefined;
	for (let i = 0; i < text.length; i++) {
		const c = text[i]!;
		if (quote) {
			if (c === quote) quote = undefined;
		} else if (c === '"' || c === "'") quote = c;
		else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
	}
	return text.trimEnd();
}

function scalar(raw: string, no: number): Yaml {
	const fail = (why: string) => new Error(`line ${no}: ${why}: ${raw}`);
	if (raw.startsWith('"') || raw.startsWith('[')) {
		try {
			return JSON.parse(raw) as Yaml;
		} catch {
			throw fail('not a JSON-style quoted string or flow sequence');
		}
	}
	if (raw.startsWith("'")) {
		if (!raw.endsWith("'") || raw.length < 2) throw fail('unterminated quote');
		return raw.slice(1, -1).replaceAll("''", "'");
	}
	if (raw === '{}') return {};
	if (/^[&*!|>{@`%]/.test(raw)) throw fail('outside the YAML subset this test reads');
	if (raw === 'true' || raw === 'false') return raw === 'true';
	if (raw === 'null' || raw === '~') return null;
	if (/^0\d+$/.test(raw)) return parseInt(raw, 8);
	if (/^-?\d+$/.test(raw)) return Number(raw);
	return raw;
}

export function parseYamlDocuments(text: string): Yaml[] {
	const docs: Line[][] = [[]];
	text.split('\n').forEach((raw, i) => {
		const no = i + 1;
		if (/^\t| \t/.test(raw.match(/^\s*/)![0])) throw new Error(`line ${no}: a tab in the indentation`);
		if (raw.trimEnd() === '---') return void docs.push([]);
		const body = stripComment(raw);
		if (body.trim() === '') return;
		docs.at(-1)!.push({no, indent: body.length - body.trimStart().length, text: body.trim()});
	});
	return docs.filter(lines => lines.length > 0).map(lines => parseDocument(lines));
}

function parseDocument(lines: Line[]): Yaml {
	let at = 0;
	const block = (indent: number): Yaml => {
		const first = lines[at]!;
		if (first.indent !== indent) throw new Error(`line ${first.no}: indented ${first.indent}, expected ${indent}`);
		return first.text === '-' || first.text.startsWith('- ') ? sequence(indent) : mapping(indent);
	};
	const sequence = (indent: number): Yaml[] => {
		const items: Yaml[] = [];
		while (at < lines.length && lines[at]!.indent === indent && (lines[at]!.text === '-' || lines[at]!.text.startsWith('- '))) {
			const line = lines[at]!;
			const rest = line.text.slice(1).trimStart();
			if (rest === '') {
				at++;
				items.push(block(lines[at]!.indent));
			} else if (KEY.test(rest)) {
				// "- key: value" opens a mapping whose keys sit two columns right of the dash.
				lines[at] = {no: line.no, indent: indent + 2, text: rest};
				items.push(mapping(indent + 2));
			} else {
				items.push(scalar(rest, line.no));
				at++;
			}
		}
		return items;
	};
	const mapping = (indent: number): {[key: string]: Yaml} => {
		const map: {[key: string]: Yaml} = {};
		while (at < lines.length && lines[at]!.indent === indent && !lines[at]!.text.startsWith('- ')) {
			const line = lines[at]!;
			const match = KEY.exec(line.text);
			if (!match) throw new Error(`line ${line.no}: expected "key: value": ${line.text}`);
			const key = match[1]!.startsWith('"') ? (JSON.parse(match[1]!) as string) : match[1]!;
			if (key in map) throw new Error(`line ${line.no}: duplicate key ${key}`);
			at++;
			if (match[2] !== undefined && match[2] !== '') map[key] = scalar(match[2], line.no);
			else if (at < lines.length && (lines[at]!.indent > indent || (lines[at]!.indent === indent && lines[at]!.text.startsWith('- ')))) {
				map[key] = block(lines[at]!.indent);
			} else map[key] = null;
		}
		return map;
	};
	const doc = block(lines[0]!.indent);
	if (at < lines.length) throw new Error(`line ${lines[at]!.no}: unexpected indentation: ${lines[at]!.text}`);
	return doc;
}
