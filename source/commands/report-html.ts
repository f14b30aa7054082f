import {existsSync, statSync} from 'node:fs';
import path from 'node:path';
import type {EngineEvent} from '../core/events.js';
import {InputError} from '../core/input-error.js';
import type {RunReport} from '../core/report.js';
import {renderReportHtml} from '../core/report-html/render.js';
import {writeFileAtomic, type RunDir} from '../core/run-dir.js';

/** `report --html [--out FILE]`: the page goes to FILE, or report.html in the run directory; returns where. */
export function writeHtmlReport(run: RunDir, report: RunReport, events: readonly EngineEvent[], out: string | undefined): string {
	const file = path.resolve(out ?? path.join(run.dir, 'report.html'));
	const dir = path.dirname(file);
	if (!existsSync(dir) || !statSync(dir).isDirectory())
		throw new InputError(`--out ${out}: the directory ${dir} does not exist\n  fix: create it first, or name a file in an existing directory`);
	if (existsSync(file) && statSync(file).isDirectory())
		throw new InputError(`--out ${out}: ${file} is a directory\n  fix: name a file, e.g. ${path.join(file, 'report.html')}`);
	writeFileAtomic(file, renderReportHtml(report, events));
	return file;
}
