/** Values the Jest global setup exports for every test file (see global-setup.mjs). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\` (the Jest global setup provides it)`);
  return value;
}
