# Kodverk terminology server. Build: docker build -t kodverk .   Run: docker run -p 8080:8080 -v kodverk:/data kodverk
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native module from source
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bench ./bench
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=8080 KODVERK_DB=/data/kodverk.db
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY terminology ./terminology
RUN mkdir -p /data && chown node:node /data
VOLUME /data
EXPOSE 8080
USER node
CMD ["node", "dist/src/cli/main.js", "serve"]
