# syntax=docker/dockerfile:1
# The GPU worker: the fedkseed worker on a CUDA base with @tensorflow/tfjs-node-gpu, whose install downloads
# libtensorflow (GPU build) from Google's storage, or from the mirror TFJS_NODE_CDN_STORAGE names. tfjs-node-gpu
# 4.22 is built against CUDA 11.8 and cuDNN 8, hence the base. Built from the repository root:
#   docker build -f docker/worker-gpu.Dockerfile -t fedkseed-worker-gpu:0.1.0 .
#   docker run --rm --gpus all -e AGGREGATOR_ADDRESS=... -e REDIS_URL=... -e QUEUE_NAME=... \
#     -e FEDKSEED_JOIN_SECRET=... -e MODEL_DIR=/models/base -e DATA_FILE=/data/dolly.jsonl \
#     -v /path/to/models:/models:ro -v /path/to/data:/data:ro fedkseed-worker-gpu:0.1.0

ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

# Node.js (and npm) from the official image: its binaries need glibc 2.28 or newer, which Ubuntu 22.04 has.
FROM ${NODE_IMAGE} AS node

# ---- build on the CUDA base itself, so the native perturbation engine and tfjs-node-gpu's binding link
# against the runtime's own glibc (2.35 on Ubuntu 22.04; Debian 12's 2.36 would be too new for it)
FROM ${CUDA_IMAGE} AS build
ARG FEDKSEED_NATIVE_MARCH=x86-64-v3
ARG TFJS_NODE_CDN_STORAGE=""
ENV FEDKSEED_NATIVE_MARCH=${FEDKSEED_NATIVE_MARCH}
COPY --from=node /usr/local/bin/ /usr/local/bin/
COPY --from=node /usr/local/lib/node_modules/ /usr/local/lib/node_modules/
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ make python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# @fedkseed/models lists tfjs-node-gpu as an optional dependency: npm ci installs it here, where its install
# script can reach libtensorflow's storage (or TFJS_NODE_CDN_STORAGE), and the build stops if it cannot load.
RUN TFJS_NODE_CDN_STORAGE="${TFJS_NODE_CDN_STORAGE}" npm ci --no-audit --no-fund \
    && node -e "require('@tensorflow/tfjs-node-gpu')" \
    && npm run build \
    && npm prune --omit=dev --no-audit --no-fund \
    && rm -rf bench node_modules/@fedkseed/bench docs .ci packages/*/test services/*/test node_modules/@tensorflow/tfjs-node

# ---- runtime: CUDA and cuDNN libraries, Node.js, non-root, tini as PID 1
FROM ${CUDA_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --shell /usr/sbin/nologin --create-home node
COPY --from=node /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production \
    FEDKSEED_BACKEND=tensorflow-gpu \
    METRICS_PORT=9464
WORKDIR /app
COPY --from=build --chown=root:root /app /app
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
    CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "services/worker/dist/main.js"]
