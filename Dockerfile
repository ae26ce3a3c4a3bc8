# Kodverk terminology server.
#   Build: docker build -t kodverk .
#   Run:   docker run -d --name kodverk -p 8080:8080 -v kodverk:/data --stop-timeout 30 kodverk
#   Import Socialstyrelsen's files into it (README, "Operations"):
#          docker run ... -v /path/to/socialstyrelsen:/import:ro kodverk
#          docker exec kodverk kodverk import ksi /import/ksi-2025.xlsx
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native module from source
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
# (not bench/ or test/: the image needs neither, and test/integration/image.test.ts compiles
# exactly what this stage copies)
# npm ci runs the build (prepare): TypeScript into dist/, and the pages' scripts and CSS into
# dist/src/web/public; then only production dependencies stay
RUN npm ci && npm prune --omit=dev

# The final stage copies exactly what the server needs at run time. test/integration/image.test.ts
# reads these COPY lines, copies the same paths into a temporary folder and starts the server there:
# keep the two in step.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=8080 KODVERK_DB=/data/kodverk.db
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY migrations ./migrations
COPY terminology ./terminology
# `kodverk` on the PATH for `docker exec` (import, backup, check, nim, validate)
RUN chmod +x dist/src/cli/main.js && ln -s /app/dist/src/cli/main.js /usr/local/bin/kodverk \
 && mkdir -p /data /import && chown node:node /data
VOLUME /data
EXPOSE 8080
USER node
# ready: store open, migrations applied, workers started, not shutting down (the first start
# loads the FHIR core terminology, hence the start period)
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains requests in flight (KODVERK_SHUTDOWN_GRACE_MS, 25 s): give `docker stop` 30 s
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli/main.js", "serve"]
