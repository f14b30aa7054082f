# A proofloop worker (issue #17): takes attempt jobs from the queue and runs
# them with the agent CLIs, each in a fresh worktree and its own sandbox.
#
#   docker build -f deploy/worker.Dockerfile -t proofloop-worker .
#   docker build -f deploy/worker.Dockerfile -t proofloop-worker \
#     --build-arg AGENT_CLIS="@anthropic-ai/claude-code@2.1.330 @openai/codex@0.169.0" .
#   docker run --env-file agent-credentials.env proofloop-worker \
#     --queue rediss://:PASSWORD@redis.example:6379/0 --remote git@git.example:team/repo.git --concurrency 2
#
# The image holds no credentials: the agents' keys (ANTHROPIC_API_KEY, ...) and
# the git remote's come from the environment or mounted files at run time.

# Build proofloop from this checkout with the lockfile's exact dependencies (npm ci
# builds it: the prepare script), then keep only what it needs at run time.
FROM node:20-bookworm AS build
WORKDIR /opt/proofloop
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm
# git: the worker's clone, worktrees and pushes; bubblewrap: the agents' sandbox;
# openssh-client: ssh git remotes.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends git bubblewrap openssh-client ca-certificates \
	&& rm -rf /var/lib/apt/lists/*
# What the npm package ships (package.json "files") and its runtime dependencies.
WORKDIR /opt/proofloop
COPY --from=build /opt/proofloop/package.json ./
COPY --from=build /opt/proofloop/node_modules ./node_modules
COPY --from=build /opt/proofloop/dist ./dist
COPY --from=build /opt/proofloop/oracle ./oracle
COPY --from=build /opt/proofloop/prompts ./prompts
COPY --from=build /opt/proofloop/schema ./schema
RUN chmod +x dist/cli.js && ln -s /opt/proofloop/dist/cli.js /usr/local/bin/proofloop && proofloop --version
# The agent CLIs are optional: install them here (npm package specs, space-separated)
# or mount/derive an image that has them. Pinned versions: scripts/install-agent-clis.mjs.
ARG AGENT_CLIS=""
RUN if [ -n "$AGENT_CLIS" ]; then npm install -g --no-audit --no-fund --engine-strict=false $AGENT_CLIS; fi

# Agents run as a plain user (claude refuses root); the clone lives under its home.
# The worker commits what an agent leaves uncommitted: it needs a git identity.
USER node
RUN mkdir -p /home/node/work \
	&& git config --global user.name "proofloop worker" && git config --global user.email "proofloop-worker@localhost"
WORKDIR /home/node/work
ENTRYPOINT ["proofloop", "worker"]
# The queue and the remote are given at run time (docker run ... IMAGE --queue URL --remote GIT_URL).
CMD ["--help"]
