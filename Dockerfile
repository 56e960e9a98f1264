# syntax=docker/dockerfile:1

# Build stage: the SQLite driver uses cgo, so the binary links against glibc
# and the runtime stage uses the same Debian release.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/telegram-bot-webhook .

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /out/telegram-bot-webhook /usr/local/bin/telegram-bot-webhook
COPY configs/ /app/configs/
RUN mkdir -p /app/data /app/logs && chown -R app:app /app/data /app/logs
USER app
ENV DATABASE_PATH=/app/data/bot.db \
    LOG_DIR=/app/logs \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8000
VOLUME ["/app/data", "/app/logs"]
EXPOSE 8000
# With SSL_CERT_PATH set the server speaks only HTTPS; -k because the
# certificate names the public host, not 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD sh -c 'scheme=http; [ -n "$SSL_CERT_PATH" ] && scheme=https; \
        curl -fsSk "$scheme://127.0.0.1:${WEBHOOK_PORT}/health" || exit 1'
ENTRYPOINT ["/usr/local/bin/telegram-bot-webhook"]
