/**
 * The engine baseline's activities: they do nothing, so a baseline run measures only what Temporal
 * (server, SDK, worker slots, polling) costs per activity, the floor under the billing activities.
 */
export const baselineActivities = {
  async noop(): Promise<void> {
    // Intentionally empty.
  },
};

export type BaselineActivities = typeof baselineActivities;
