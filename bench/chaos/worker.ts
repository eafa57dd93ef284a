/**
 * The billing worker for fault injection (`npm run chaos`, test/chaos): the real worker
 * (`worker/run.ts`) with its payment gateway wrapped by `chaosGateway` (bench/chaos/gateway.ts),
 * which logs every charge request to CHAOS_CHARGE_LOG and injects the CHAOS_GATEWAY_FAULT window.
 */
import { runWorker } from '../../worker/run';
import { chaosGateway, chaosOptionsFromEnv } from './gateway';

const options = chaosOptionsFromEnv(process.env);
runWorker({
  decorateGateway: (gateway, { log }) => {
    log.warn(
      {
        chargeLog: options.logFile ?? null,
        fault: options.fault,
        from: options.windowFromFirstChargeMs !== undefined ? 'first charge request' : new Date(options.from).toISOString(),
        until:
          options.windowFromFirstChargeMs !== undefined
            ? `${options.windowFromFirstChargeMs} ms later`
            : Number.isFinite(options.until)
              ? new Date(options.until).toISOString()
              : null,
        latencyMs: options.latencyMs,
      },
      'chaos gateway: recording charge requests and injecting faults',
    );
    return chaosGateway(gateway, options);
  },
}).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
