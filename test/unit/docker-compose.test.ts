/**
 * docker-compose.yml: nothing is published beyond the host unless asked (the Temporal frontend and UI
 * have no authentication), and there is no default database password. Read as text: no Docker here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const compose = readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8');

/** The `- "..."` entries under each `ports:` key. */
const publishedPorts = [...compose.matchAll(/^(\s+)ports:\n((?:\1\s+- .*\n)+)/gm)].flatMap((m) =>
  m[2]!.trim().split('\n').map((line) => line.trim().replace(/^- /, '').replace(/^"|"$/g, '')),
);

test('every published port is bound to 127.0.0.1 unless a variable says otherwise', () => {
  expect(publishedPorts.length).toBeGreaterThanOrEqual(3); // Temporal frontend, Temporal UI, API
  for (const port of publishedPorts) expect(port).toMatch(/^\$\{[A-Z_]+_BIND:-127\.0\.0\.1\}:/);
  expect(publishedPorts.some((p) => p.startsWith('${TEMPORAL_BIND:-127.0.0.1}:') && p.endsWith(':7233'))).toBe(true);
  expect(publishedPorts.some((p) => p.startsWith('${TEMPORAL_UI_BIND:-127.0.0.1}:') && p.endsWith(':8080'))).toBe(true);
});

test('POSTGRES_PASSWORD must be set: every use requires it, none has a default', () => {
  const uses = [...compose.matchAll(/\$\{POSTGRES_PASSWORD([^}]*)\}/g)].map((m) => m[1]);
  expect(uses.length).toBeGreaterThanOrEqual(3); // the database, Temporal's connection, the app's DATABASE_URL
  for (const use of uses) expect(use).toMatch(/^:\?/);
});

test('LINK_SIGNING_SECRET must be set: the app refuses to start without it, so compose does too', () => {
  const uses = [...compose.matchAll(/\$\{LINK_SIGNING_SECRET([^}]*)\}/g)].map((m) => m[1]);
  expect(uses.length).toBeGreaterThanOrEqual(1);
  for (const use of uses) expect(use).toMatch(/^:\?/);
});
