# One image for every process of the billing orchestrator; the command picks which:
#   API (default)  node dist/api/main.js
#   worker         node dist/worker/main.js
#   migrations     node dist/db/migrate.js
# Configuration comes from the environment (see config.ts); docker-compose.yml shows a full stack.

# --- build: compile TypeScript, then drop dev dependencies -----------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the build or the runtime needs relies on them (native modules ship as
# prebuilt optional packages), and the image's npm 10 does not know package.json "allowScripts".
# `npm install` is the fallback for a lockfile that lacks other platforms' optional packages, which
# `npm ci` rejects; it installs the same locked versions.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 || npm install --ignore-scripts --no-audit --no-fund
COPY . .
# tsc emits only JavaScript: copy the runtime assets that sit beside the sources (email templates, ...).
RUN npm run build \
 && find activities services api db domain workflows worker -type f ! -name '*.ts' -exec cp --parents {} dist/ \; \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Liveness of the API (the worker and migrate services override or disable it in compose).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
