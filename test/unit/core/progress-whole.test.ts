import {describe, expect, it} from 'vitest';
import {formatEvent} from '../../../source/core/progress.js';

describe('headless lines', () => {
	it('print a warning whole, its fix included, however long', () => {
		const message = `${'x'.repeat(300)} fix: run this exact command`;
		const line = formatEvent({type: 'warning', seq: 1, at: new Date(0).toISOString(), message}, 0) ?? '';
		expect(line).toContain(message);
	});
});
