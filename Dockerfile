# syntax=docker/dockerfile:1
# igfeed: build with the Rust toolchain, run on a small Debian image as a non-root user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# The workspace's other member crates, each with what it builds from (templates included).
COPY crates ./crates
COPY src ./src
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked

FROM debian:bookworm-slim
# ca-certificates is deliberately unpinned: a feed server should get the distribution's
# current trust store on every rebuild rather than freeze an old one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/igfeed --no-create-home igfeed \
    && mkdir -p /var/lib/igfeed \
    && chown igfeed:igfeed /var/lib/igfeed \
    && chmod 0700 /var/lib/igfeed
COPY --from=build /src/target/release/igfeed /usr/local/bin/igfeed

ENV IGFEED__SERVER__HOST=0.0.0.0 \
    IGFEED__SERVER__PORT=8080 \
    IGFEED__STORAGE__DIR=/var/lib/igfeed \
    IGFEED__LOG__FORMAT=json
VOLUME ["/var/lib/igfeed"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["igfeed", "healthcheck"]
ENTRYPOINT ["igfeed"]
CMD ["serve"]
