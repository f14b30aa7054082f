/**
 * Usage limits and rate limits, recognised from what each CLI really prints
 * when one stops it, and when the CLI says the limit lifts. A limit is not the
 * agent's fault: the engine parks the ticket instead of spending an attempt.
 *
 * Wordings this knows (collected from the CLIs' sources and user reports):
 * - claude: "You've hit your limit · resets 4pm (Europe/Berlin)", "You've hit
 *   your session limit · resets 9am (Europe/Berlin)", "resets Apr 23 at 4pm
 *   (America/Recife)", older "Claude AI usage limit reached|1762952400" (epoch),
 *   "API Error: Request rejected (429) · The usage limit has been reached";
 *   with `api_error_status: 429` and a `rate_limit_event` whose status is
 *   "rejected" (sometimes with `resetsAt`, epoch seconds).
 * - codex: "You've hit your usage limit. … or try again at 3:28 PM.", "… Try
 *   again at Jul 5th, 2026 8:19 PM.", older "… try again in 2 days 17 hours 14
 *   minutes.", "You hit your spend cap …", "Your workspace is out of credits …";
 *   API-key users: "Rate limit reached for … Please try again in 1.2s".
 * - gemini: "You have exhausted your capacity on this model. Your quota will
 *   reset after 2h52m39s.", "You exceeded your current quota … Please retry in
 *   23.5s", "Resource has been exhausted (e.g. check quota)", RESOURCE_EXHAUSTED,
 *   HTTP 429.
 * - opencode: an `error` event with `statusCode: 429` (and a retry-after header).
 * - copilot: "Sorry, you've hit a rate limit that restricts the number of Copilot
 *   model requests … Please try again in 2 hours.", "Sorry, you have been
 *   rate-limited. Please wait 2 minutes before trying again", statusCode 429.
 * - qwen: "[API Error: 429 …]" on an error result.
 */
import type {AgentLimit} from './adapter.js';

const LIMIT_WORDING: RegExp[] = [
	/hit your (?:[\w-]+ )?limit/i,
	/usage limit/i,
	/\blimit (?:has been )?(?:reached|exceeded)\b/i,
	/rate[ _-]?limit/i,
	/too many requests/i,
	/\bquota\b/i,
	/exhausted your (?:capacity|quota)/i,
	/resource[ _]exhausted|resource has been exhausted/i,
	/\bspend cap\b/i,
	/\bout of credits\b/i,
	/(?:status|error|http|code)\W{0,3}429\b|\(429\)/i,
];

/** Whether an error text is a usage or rate limit, in any CLI's wording we know. */
export function isLimitText(text: string): boolean {
	return LIMIT_WORDING.some(pattern => pattern.test(text));
}

/** What a CLI said about when its limit lifts; `{}` when it said nothing usable. */
export function limitWhen(text: string, now: Date = new Date()): AgentLimit {
	const epoch = /limit reached\|(\d{10,13})\b/i.exec(text);
	if (epoch) return {resetAt: fromEpoch(Number(epoch[1]))};
	const instant = namedInstant(text, now);
	if (instant) return {resetAt: instant.toISOString()};
	const seconds = namedWait(text);
	if (seconds !== undefined) return {retryAfterSeconds: seconds};
	return {};
}

/**
 * The limit behind a failure, or undefined when the failure is something else.
 * `status` is an HTTP status the CLI reported; `known` is a reset time it gave
 * in structured form (preferred over anything parsed from text).
 */
export function detectLimit(
	texts: Array<string | undefined>,
	options: {status?: number; force?: boolean; known?: AgentLimit; now?: Date} = {},
): AgentLimit | undefined {
	const present = texts.filter((text): text is string => typeof text === 'string' && text.trim() !== '');
	if (!options.force && options.status !== 429 && !present.some(isLimitText)) return undefined;
	if (options.known && (options.known.resetAt !== undefined || options.known.retryAfterSeconds !== undefined)) return options.known;
	for (const text of present) {
		const when = limitWhen(text, options.now);
		if (when.resetAt !== undefined || when.retryAfterSeconds !== undefined) return when;
	}
	return {};
}

/** Epoch seconds (or milliseconds) to ISO. */
export function fromEpoch(value: number): string {
	return new Date(value < 1e12 ? value * 1000 : value).toISOString();
}

/** An HTTP `Retry-After` value: seconds, or an HTTP date. */
export function retryAfterHeader(value: string, now: Date = new Date()): AgentLimit | undefined {
	const trimmed = value.trim();
	if (/^\d+(?:\.\d+)?$/.test(trimmed)) return {retryAfterSeconds: Math.ceil(Number(trimmed))};
	const date = Date.parse(trimmed);
	if (Number.isNaN(date)) return undefined;
	return date > now.getTime() ? {resetAt: new Date(date).toISOString()} : {retryAfterSeconds: 0};
}

// --- "try again in 2 days 3 hours", "reset after 2h52m39s", "retry in 250ms", "wait 2 minutes" ---

const UNIT = String.raw`(?:milliseconds?|ms|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])`;
const WAIT = new RegExp(String.raw`\b(?:(?:try again|retry|resets?)\s+(?:in|after)|wait)\s+((?:\d+(?:\.\d+)?\s*${UNIT}[\s,]*(?:and\s+)?)+)`, 'i');
const PART = new RegExp(String.raw`(\d+(?:\.\d+)?)\s*(${UNIT})`, 'gi');

function unitSeconds(unit: string): number {
	const u = unit.toLowerCase();
	if (u === 'ms' || u.startsWith('milli')) return 0.001;
	if (u === 'd' || u.startsWith('day')) return 86_400;
	if (u === 'h' || u.startsWith('h')) return 3600;
	if (u === 'm' || u.startsWith('min')) return 60;
	return 1;
}

function namedWait(text: string): number | undefined {
	const wait = WAIT.exec(text);
	if (wait) {
		let total = 0;
		for (const part of wait[1]!.matchAll(PART)) total += Number(part[1]) * unitSeconds(part[2]!);
		return Math.ceil(total);
	}
	// Google's RetryInfo, quoted inside an API error: "retryDelay": "34.07s".
	const delay = /retryDelay\W{1,4}(\d+(?:\.\d+)?)s\b/.exec(text);
	if (delay) return Math.ceil(Number(delay[1]));
	return undefined;
}

// --- "resets 9am (Europe/Berlin)", "resets Apr 23 at 4pm (America/Recife)", "try again at Jul 5th, 2026 8:19 PM" ---

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const INSTANT = new RegExp(
	String.raw`\b(?:resets?|try again|available)\s+(?:at\s+|on\s+)?` +
		String.raw`(?:(${MONTHS.join('|')})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?,?\s+(?:at\s+)?)?` +
		String.raw`(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?![\w:])` +
		String.raw`(?:\s*\(([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*)\)|\s+(UTC|GMT)\b)?`,
	'i',
);

function namedInstant(text: string, now: Date): Date | undefined {
	const match = INSTANT.exec(text);
	if (!match) return undefined;
	const [, month, day, year, hourText, minuteText, meridiem, zoneInParens, zoneBare] = match;
	// A bare number ("resets 5") is not a time.
	if (minuteText === undefined && meridiem === undefined) return undefined;
	let hour = Number(hourText);
	const minute = minuteText === undefined ? 0 : Number(minuteText);
	if (minute > 59) return undefined;
	if (meridiem) {
		if (hour < 1 || hour > 12) return undefined;
		const pm = meridiem.toLowerCase().startsWith('p');
		hour = (hour % 12) + (pm ? 12 : 0);
	} else if (hour > 23) {
		return undefined;
	}
	const zone = validZone(zoneInParens ?? zoneBare) ?? localZone();
	const today = wallDate(now, zone);
	if (month !== undefined && day !== undefined) {
		const monthIndex = MONTHS.indexOf(month.toLowerCase().slice(0, 3));
		let candidate = wallTimeToUtc(year ? Number(year) : today.year, monthIndex, Number(day), hour, minute, zone);
		// "Apr 23" without a year, already well past: next year's.
		if (!year && candidate.getTime() < now.getTime() - 86_400_000) {
			candidate = wallTimeToUtc(today.year + 1, monthIndex, Number(day), hour, minute, zone);
		}
		return candidate;
	}
	// A time of day alone is its next occurrence.
	let candidate = wallTimeToUtc(today.year, today.month, today.day, hour, minute, zone);
	if (candidate.getTime() <= now.getTime()) candidate = wallTimeToUtc(today.year, today.month, today.day + 1, hour, minute, zone);
	return candidate;
}

function validZone(zone: string | undefined): string | undefined {
	if (!zone) return undefined;
	try {
		new Intl.DateTimeFormat('en-US', {timeZone: zone});
		return zone;
	} catch {
		return undefined;
	}
}

/** The zone the CLI formatted a bare local time in: ours (same machine, same TZ). */
function localZone(): string {
	return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

type Wall = {year: number; month: number; day: number; hour: number; minute: number; second: number};

function wallParts(date: Date, zone: string): Wall {
	const format = new Intl.DateTimeFormat('en-US', {
		timeZone: zone,
		hourCycle: 'h23',
		year: 'numeric',
		month: 'numeric',
		day: 'numeric',
		hour: 'numeric',
		minute: 'numeric',
		second: 'numeric',
	});
	const parts: Record<string, number> = {};
	for (const part of format.formatToParts(date)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
	return {year: parts['year']!, month: parts['month']! - 1, day: parts['day']!, hour: parts['hour']!, minute: parts['minute']!, second: parts['second']!};
}

function wallDate(date: Date, zone: string): {year: number; month: number; day: number} {
	const {year, month, day} = wallParts(date, zone);
	return {year, month, day};
}

/** How far the zone's wall clock is ahead of UTC at that instant, in ms. */
function zoneOffset(instant: number, zone: string): number {
	const wall = wallParts(new Date(instant), zone);
	const asUtc = Date.UTC(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second);
	return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant a wall-clock time in a zone names (day overflow normalises, like Date.UTC). */
function wallTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, zone: string): Date {
	const guess = Date.UTC(year, month, day, hour, minute);
	const first = guess - zoneOffset(guess, zone);
	const second = guess - zoneOffset(first, zone);
	return new Date(second);
}
