# fewlabel web server (Next.js UI + API + socket.io) on Node 20. Build from the repository root:
#   docker build -f docker/web.Dockerfile -t fewlabel-web .
# Data (embedded PGlite database and images) lives in /data; set DATABASE_URL to use PostgreSQL instead and
# REDIS_URL to run several web containers behind one load balancer.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY apps ./apps
COPY packages ./packages
COPY e2e/package.json ./e2e/package.json
RUN npm ci && NEXT_TELEMETRY_DISABLED=1 NODE_ENV=production npx turbo run build --filter=@fewlabel/web

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 FEWLABEL_DATA_DIR=/data UV_THREADPOOL_SIZE=16
COPY --from=build /app /app
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "--import", "tsx", "apps/web/server.ts"]
