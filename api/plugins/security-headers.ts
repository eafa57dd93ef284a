import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';

/**
 * Security headers on every answer (@fastify/helmet): the API answers JSON, so its
 * Content-Security-Policy allows nothing to load and no page to frame it; the docs pages send their
 * own, looser policy (@fastify/swagger-ui `staticCSP`). Answers are never cached by a browser or a
 * proxy unless a route says otherwise (the docs' static assets do): they carry customers' data and,
 * once, secrets.
 */
export default fp(async function securityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
});
