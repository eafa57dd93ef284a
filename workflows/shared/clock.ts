/** The workflow's clock (deterministic: Temporal replays it) as the ISO timestamp activities take. */
export const nowIso = (): string => new Date(Date.now()).toISOString();

export const DAY_MS = 24 * 60 * 60 * 1000;
