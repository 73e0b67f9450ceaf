# The leadstore image: one package, every role (`serve`, `worker`, `migrate`, `tail`, ...) by command.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY projections ./projections
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LEADSTORE_HOST=0.0.0.0 \
    LEADSTORE_PORT=8000 \
    LEADSTORE_TRUSTED_PROXIES=""
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels leadstore && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home leadstore
USER leadstore
EXPOSE 8000
ENTRYPOINT ["leadstore"]
CMD ["serve"]
