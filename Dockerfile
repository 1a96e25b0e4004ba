# The `ier` binary in a small image: built with the toolchain CI tests with, run as a non-root
# user on Debian slim. Everything the binary needs is compiled in (reference data, postcode
# table, GOV.UK Frontend assets, TLS roots), so the runtime stage installs nothing.
#
#   docker build -t ier .
#   docker run --rm ier --help
#
# `deploy/compose.yaml` runs it with Postgres; docs/OPERATIONS.md ("Deploying with containers").

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The registry and target directories are BuildKit cache mounts, kept between builds: a change
# to our code recompiles only the crates it touches (the dependencies stay compiled), without
# the dummy-main dependency layer trick, which a 16-crate workspace would make brittle.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p ier \
 && cp target/release/ier /usr/local/bin/ier \
 && strip /usr/local/bin/ier

FROM debian:bookworm-slim AS runtime
# A fixed uid/gid, no shell login, no home to write to: the service writes only to its database
# (over the network) and reads its keys from the environment and its PKI from a volume.
# /pki (what the EMS listener reads: certificates only) and /pki-issuer (the service's CA and
# its key, for `ier ero` alone) belong to it: a named volume mounted there starts as a copy of
# the directory, owner and mode included, so the one-shot `pki` service in compose can write both.
RUN groupadd --system --gid 10001 ier \
 && useradd --system --uid 10001 --gid ier --no-create-home --shell /usr/sbin/nologin ier \
 && mkdir /pki /pki-issuer /evidence && chown 10001:10001 /pki /pki-issuer /evidence \
 && chmod 0750 /pki && chmod 0700 /pki-issuer /evidence
COPY --from=build /usr/local/bin/ier /usr/local/bin/ier
USER 10001:10001
ENV IER_PUBLIC_ADDR=0.0.0.0:8080 \
    IER_EMS_ADDR=0.0.0.0:8443 \
    IER_PORTAL_ADDR=0.0.0.0:8081 \
    IER_EVIDENCE_DIR=/evidence \
    IER_INTERNAL_ADDR=0.0.0.0:9090 \
    IER_PKI_DIR=/pki \
    IER_CA_DIR=/pki-issuer
# Public site, EMS API (mutual TLS), ERO portal, internal listener (metrics, health: never publish it).
EXPOSE 8080 8443 8081 9090
# The image has no curl: `ier health` asks the internal listener whether the instance is ready
# (the database answers, not draining).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/ier", "health", "--addr", "127.0.0.1:9090"]
ENTRYPOINT ["/usr/local/bin/ier"]
CMD ["serve"]
