# The bot's image:  docker build -t fabric-chatops .
# BASE_IMAGE must provide node (24) and, for the build stages, npm and sh; the test harness builds
# with a base image of its own (test/infra/env/real-node/bot-image.ts), nothing pulled.
ARG BASE_IMAGE=node:24-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/slack-emulator/package.json packages/slack-emulator/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages/slack-emulator/tsconfig.json packages/slack-emulator/
COPY packages/slack-emulator/src packages/slack-emulator/src
COPY src src
RUN npm run build

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/slack-emulator/package.json packages/slack-emulator/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# Packages' own tests are not needed at run time (one, secure-keys under fabric-ca-client, ships a
# private key); a package that is itself named test stays.
RUN find node_modules -type d \( -name test -o -name tests -o -name __tests__ \) -prune \
  | grep -Ev '(^|/)node_modules/(@[^/]+/)?[^/]+$' | xargs rm -rf
# The user the bot runs as, so it has a name and its group (numeric user alone gets group 0).
RUN echo 'fabric-chatops:x:10001:10001:fabric-chatops:/nonexistent:/bin/false' >> /etc/passwd \
  && echo 'fabric-chatops:x:10001:' >> /etc/group

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /etc/passwd /etc/group /etc/
COPY package.json ./
COPY config config
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/packages/slack-emulator/package.json packages/slack-emulator/
COPY --from=build /app/packages/slack-emulator/dist packages/slack-emulator/dist
COPY --from=build /app/dist dist
USER 10001:10001
EXPOSE 3000 9090
ENTRYPOINT ["node", "dist/main.js"]
