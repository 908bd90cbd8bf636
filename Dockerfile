# syntax=docker/dockerfile:1
# The booking-operator image: bundled in a full Node 22 (scripts/build.ts: one minified esbuild
# bundle with every dependency inside), run on distroless Node 22 as non-root with no shell and
# no node_modules at all.

ARG NODE_IMAGE=node:22-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs22-debian12:nonroot

# --- build: every dependency, the bundle to dist/ ---------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY operator/src ./operator/src
RUN npm run build && test -f dist/cli/main.js

# --- runtime: distroless, uid 65532, read-only root friendly ----------------------------------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="booking-operator" \
      org.opencontainers.image.description="Kubernetes operator that turns one BookingPlatform resource into a chat-and-booking SaaS on Amazon EKS" \
      org.opencontainers.image.source="https://github.com/booking-io/booking-operator" \
      org.opencontainers.image.url="https://github.com/booking-io/booking-operator" \
      org.opencontainers.image.vendor="booking.io" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs22-debian12:nonroot"
WORKDIR /app
# distroless keeps node at /nodejs/bin, off the default PATH: put it there for `kubectl exec`
# (`node dist/cli/main.js render …`). The chart and cdk8s run the ENTRYPOINT with `args: [run]`.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PATH=/nodejs/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY --from=build --chown=65532:65532 /app/dist ./dist
COPY --chown=65532:65532 package.json ./
COPY --chown=65532:65532 crds ./crds
USER 65532:65532
EXPOSE 8080 8081
# Exec form, no shell and no init: node is PID 1 and receives SIGTERM itself; the operator
# installs SIGTERM/SIGINT handlers (release the leader Lease, finish the reconcile in flight).
# The node flags (scripts/build.ts NODE_ARGS, measured in docs/benchmarks.md) keep peak RSS near
# the live heap; the chart and cdk8s pass only `args`, so this is their one home.
ENTRYPOINT ["/nodejs/bin/node", "--optimize-for-size", "dist/cli/main.js"]
CMD ["run"]
