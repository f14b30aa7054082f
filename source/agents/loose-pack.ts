/**
 * Loose objects as one pack stream (whole objects, no deltas), so that git
 * itself judges them as it judges a pack: `git unpack-objects --strict` checks
 * each object's form and that everything it names exists. A loose object only
 * hashed against its id could be a commit whose tree is nowhere, or a tree
 * with an entry `.git`, and the shared store would take it.
 * Everything streams (zlib in libuv's pool): an object of gigabytes, or a
 * small file that inflates to them, costs neither the engine's memory nor its loop.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {Readable} from 'node:stream';
import {createDeflate, createInflate} from 'node:zlib';

const TYPES: Record<string, number> = {commit: 1, tree: 2, blob: 3, tag: 4};

/** A loose object that hashes to its id: its file, type, body size and where the body starts. */
export type LooseObject = {file: string; type: string; size: number; headerLength: number};

/** A loose object file's inflated bytes, chunk by chunk. */
async function* inflated(file: string): AsyncGenerator<Buffer> {
	const inflate = createInflate();
	const source = createReadStream(file);
	source.on('error', error => inflate.destroy(error));
	source.pipe(inflate);
	try {
		for await (const chunk of inflate) yield chunk as Buffer;
	} finally {
		// Left early (more than the header says): the file is closed now, not when collected.
		source.destroy();
	}
}

/** The object in `file` when its bytes hash to `id` and hold what its header says, else undefined (stops as soon as they do not). */
export async function checkLoose(file: string, id: string): Promise<LooseObject | undefined> {
	const hash = createHash(id.length === 64 ? 'sha256' : 'sha1');
	let head = Buffer.alloc(0);
	let header: Omit<LooseObject, 'file'> | undefined;
	let total = 0;
	try {
		for await (const chunk of inflated(file)) {
			hash.update(chunk);
			total += chunk.length;
			if (!header) {
				head = Buffer.concat([head, chunk]);
				const nul = head.indexOf(0);
				if (nul < 0 && head.length > 64) return undefined;
				if (nul < 0) continue;
				const parsed = /^(blob|tree|commit|tag) (\d+)$/.exec(head.subarray(0, nul).toString('latin1'));
				if (!parsed) return undefined;
				header = {type: parsed[1]!, size: Number(parsed[2]), headerLength: nul + 1};
			}
			if (total - header.headerLength > header.size) return undefined;
		}
	} catch {
		return undefined;
	}
	if (!header || total - header.headerLength !== header.size || hash.digest('hex') !== id) return undefined;
	return {file, ...header};
}

/** A pack entry's header: type and size, 4 then 7 bits a byte, high bit set while more follow. */
function entryHeader(type: number, size: number): Buffer {
	const bytes = [(type << 4) | (size % 16)];
	for (let rest = Math.floor(size / 16); rest > 0; rest = Math.floor(rest / 128)) {
		bytes[bytes.length - 1]! |= 0x80;
		bytes.push(rest % 128);
	}
	return Buffer.from(bytes);
}

/** An object's body: its inflated bytes after the header. */
async function* bodyOf(object: LooseObject): AsyncGenerator<Buffer> {
	let skip = object.headerLength;
	for await (const chunk of inflated(object.file)) {
		if (skip >= chunk.length) {
			skip -= chunk.length;
			continue;
		}
		yield skip > 0 ? chunk.subarray(skip) : chunk;
		skip = 0;
	}
}

/** The objects as a version-2 pack (a file that changed since it was checked breaks the pack, and git refuses it whole). */
export function packStream(objects: LooseObject[], hash: 'sha1' | 'sha256'): Readable {
	const digest = createHash(hash);
	async function* chunks(): AsyncGenerator<Buffer> {
		const head = Buffer.alloc(12);
		head.write('PACK', 0, 'latin1');
		head.writeUInt32BE(2, 4);
		head.writeUInt32BE(objects.length, 8);
		digest.update(head);
		yield head;
		for (const object of objects) {
			const header = entryHeader(TYPES[object.type]!, object.size);
			digest.update(header);
			yield header;
			for await (const chunk of Readable.from(bodyOf(object)).pipe(createDeflate())) {
				digest.update(chunk as Buffer);
				yield chunk as Buffer;
			}
		}
		yield digest.digest();
	}
	return Readable.from(chunks());
}
