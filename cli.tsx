#!/usr/bin/env node
// Entry: argv -> one command; nothing else.
import {readFileSync} from 'node:fs';
import {buildProgram} from './source/commands/program.js';
import {packageRoot} from './source/core/paths.js';

const {version} = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as {version: string};
await (await buildProgram(version, process.argv)).parseAsync(process.argv);
