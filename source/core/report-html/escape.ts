/** Text from tickets and agents (titles, reasons, findings) goes into the page only through this: no markup, no attribute break-out. */
export const esc = (value: unknown): string =>
	String(value).replace(/[&<>"'`]/g, ch => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;'})[ch]!);

/** A long text cut for a label (the whole text stays in the element's <title>). */
export const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

export const firstLine = (text: string): string => text.split('\n')[0] ?? '';

/** 75 s -> "1m15s"; 4.2 -> "4.2s". */
export function duration(seconds: number): string {
	if (seconds < 60) return `${seconds === 0 ? 0 : seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
	const m = Math.floor(seconds / 60);
	if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
	return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
