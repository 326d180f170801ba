# syntax=docker/dockerfile:1
#
# dingbridge container image: a static binary on distroless, running as a
# non-root user.
#
#   docker build -t dingbridge .
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t dingbridge:v1.2.3 .
#
# The image's command is "serve"; configuration comes from
# DINGBRIDGE_CONFIG (a mounted YAML file) and DINGBRIDGE_* variables (see
# docs/configuration.md). It listens on :8080. Distroless has no shell, so
# the health check is the binary itself: "dingbridge healthcheck" (GET
# http://127.0.0.1:8080/readyz; docker-compose.yml uses it).
#
# The binary is static (CGO_ENABLED=0), so it cannot load OpenSSL's
# libcrypto: RS256 tokens are signed by Go's crypto/rsa
# (keys.rsaSigner, docs/configuration.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
		-o /out/dingbridge ./cmd/dingbridge \
	&& mkdir -p /out/var/lib/dingbridge

# static-debian12 carries CA certificates (DingTalk's APIs are https),
# tzdata and /etc/passwd with the nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dingbridge /dingbridge
# A writable working directory for SQLite deployments
# (database.url: sqlite:/var/lib/dingbridge/dingbridge.db).
COPY --from=build --chown=65532:65532 /out/var/lib/dingbridge /var/lib/dingbridge
WORKDIR /var/lib/dingbridge
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/dingbridge"]
CMD ["serve"]
