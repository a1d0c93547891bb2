// `npm run generate` (with the CRD): writes the chart's Grafana dashboard from build/dashboard.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DASHBOARD_PATH, dashboardJson } from './dashboard.ts';

const file = new URL(`../${DASHBOARD_PATH}`, import.meta.url);
const content = dashboardJson();
let before: string | undefined;
try {
  before = readFileSync(file, 'utf8');
} catch {
  // first generation
}
if (before !== content) {
  mkdirSync(new URL('.', file), { recursive: true });
  writeFileSync(file, content);
}
console.log(`${before === content ? 'unchanged' : 'written  '} ${DASHBOARD_PATH}`);
