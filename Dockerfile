# Helios: build the single binary, run it in a slim image.
# deno compile downloads Deno's runtime for the target, so the builder needs network access.
FROM denoland/deno:2.9.6 AS builder
WORKDIR /src
COPY deno.json deno.lock ./
COPY . .
RUN deno install --frozen && deno task compile
# deno compile embeds the code; the Swagger UI assets and the password worker ride along (see deno.json's compile task).

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/helios helios \
    && mkdir -p /var/lib/helios && chown helios /var/lib/helios
COPY --from=builder /src/dist/helios /usr/local/bin/helios
COPY configs/config.yaml /etc/helios/config.yaml
USER helios
VOLUME /var/lib/helios
EXPOSE 8443 6379 9090
HEALTHCHECK --interval=10s --timeout=5s CMD ["/usr/local/bin/helios", "health", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/helios"]
CMD ["serve", "--data-dir", "/var/lib/helios", "--listen", ":8443", "--resp-listen", ":6379", "--metrics-listen", ":9090"]
