# One image for both components: `operator` or `token-server` as the argument.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build step: the runtime stage gets the sources and production dependencies only.
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev drops TypeScript, Biome and the test tools; the base image has Node 24.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY api ./api
COPY registry ./registry
COPY operator ./operator
COPY token-server ./token-server
COPY bin ./bin
# Examples let the token server run standalone inside the image too.
COPY examples ./examples
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/tollgate.ts"]
CMD ["token-server"]
