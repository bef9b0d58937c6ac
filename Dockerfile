# One image for both components: `operator` or `token-server` as the argument.
# The runtime stage gets the sources compiled to JavaScript (stage `build`, tsconfig.image.json)
# and the production dependencies only: Node type-stripping the .ts sources at start kept more
# in memory (README "Measured figures"). A checkout still runs the .ts sources directly.
FROM node:24-bookworm-slim AS packages
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency, TypeScript included; the stage `dependencies` prunes it to production.
# Behind a TLS-intercepting proxy or with a private registry, pass the CA bundle and an npmrc
# as build secrets, both optional and never written to a layer:
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt --secret id=npmrc,src=$HOME/.npmrc .
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=secret,id=npmrc,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm_config_cafile=/run/secrets/npm_ca; fi \
    && if [ -s /run/secrets/npmrc ]; then export npm_config_userconfig=/run/secrets/npmrc; fi \
    && npm ci --ignore-scripts --no-audit --no-fund

FROM packages AS build
COPY tsconfig.json tsconfig.image.json ./
COPY api ./api
COPY common ./common
COPY registry ./registry
COPY operator ./operator
COPY token-server ./token-server
COPY registrar ./registrar
COPY bin ./bin
# Compiled to build/, then common/kubernetes-client.js replaced by a bundle of just the parts of
# @kubernetes/client-node the components use (its whole entry point holds ~30 MiB more).
RUN npm run -s build:image

FROM packages AS dependencies
# --omit=dev drops TypeScript, Biome and the test tools; the base image has Node 24.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# What Node never reads at run time (sizes in test/image/README.md): source maps (15 MB), type
# declarations (34 MB), packages' READMEs and change logs (1 MB), addons for the Bare runtime (6 MB).
RUN find node_modules -type f \( -name '*.*js.map' -o -name '*.*ts.map' -o -name '*.d.*ts' \
      -o -iname 'readme.md' -o -iname 'changelog.md' -o -iname 'history.md' -o -name '*.bare' \) -delete

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
# package.json's "type": "module" makes the emitted .js files ES modules.
COPY package.json ./
# api/ common/ registry/ operator/ token-server/ registrar/ bin/ as JavaScript.
COPY --from=build /app/build ./
# What the code reads at run time beside its modules: the pages' stylesheet
# (token-server/pages/stylesheet.ts) and the CRD the standalone token server validates against.
COPY token-server/pages/tollgate.css ./token-server/pages/
COPY crds ./crds
# Examples let the token server run standalone inside the image too.
COPY examples ./examples
USER 10001:10001
EXPOSE 8080 8081
# --max-semi-space-size: V8 sizes the young generation from the machine's memory, up to
# 64 MiB per semi-space (128 MiB of new space) on a large node, and once a burst (a registry
# load, a 10,000-client reconcile) has grown it the pages stay resident. 2 MiB holds a request's
# garbage: token server idle with 10,000 clients 246 -> 150 MiB (135 with the next flag too),
# no measurable CPU cost.
# --heap-growing-percent: V8 otherwise lets the old space grow to several times what is live
# before a major GC; the operator's live heap at 3,000 clients is 73 MiB, its peak RSS was
# 362 MiB, and 187 MiB with 20 % growth (CPU +7 %, within noise). Figures: README "Measured
# figures"; the benchmarks start both components with these flags (bench/lib/image-node-flags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "bin/tollgate.js"]
CMD ["token-server"]
