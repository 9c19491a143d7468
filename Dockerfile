# lethe: retention enforcement for telecom data.
# Build stage: compiles TypeScript and builds better-sqlite3 for the same Debian release
# as the runtime image; the runtime stage carries production dependencies only.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY jobs ./jobs
COPY db ./db
COPY native ./native
# npm ci runs better-sqlite3's native build (allowed in package.json allowScripts) and
# `prepare`, which compiles the TypeScript into dist/ and the SQLite clock extension into
# dist/native/ (native/build.mjs); the runtime stage takes both with dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    LETHE_CONFIG=/etc/lethe/policies.yaml \
    LETHE_DATABASE_URL=sqlite:/data/telecom.db \
    LETHE_MEDIA_ROOT=/data/media \
    LETHE_HTTP_PORT=9464
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json policies.schema.json ./
COPY bin ./bin
# The shipped policy; mount your own read-only over it (-v ./policies.yaml:/etc/lethe/policies.yaml:ro).
COPY policies.yaml /etc/lethe/policies.yaml
RUN ln -s /app/bin/lethe /usr/local/bin/lethe \
 && mkdir -p /data/media \
 && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LETHE_HTTP_PORT || 9464) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["lethe"]
CMD ["start"]
