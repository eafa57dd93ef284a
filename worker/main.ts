/** The worker process: connects to Temporal and PostgreSQL, runs until SIGINT/SIGTERM, then drains. */
import { runWorker } from './run';

runWorker().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
