# syntax=docker/dockerfile:1
#
# llm-gateway container image.
#
#   docker build -t llm-gateway:dev .
#   docker run --rm -p 8080:8080 -v "$PWD/my-config:/config:ro" -e OPENAI_API_KEY llm-gateway:dev
#
# Stage 1 builds the Spring Boot jar with Maven, stage 2 splits it into its layers,
# stage 3 is the runtime: a JRE only, a non-root user, the layers copied least-changing first.

ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

########################################################################################
FROM ${MAVEN_IMAGE} AS build
WORKDIR /workspace
# Dependencies first, so that a source change does not download the world again.
COPY pom.xml ./
RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline || true
COPY src ./src
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -Dmaven.test.skip=true package \
 && cp target/llm-gateway-*.jar /workspace/app.jar

########################################################################################
FROM ${RUNTIME_IMAGE} AS extract
WORKDIR /extract
COPY --from=build /workspace/app.jar app.jar
# Boot 4 tools jar mode: one directory per layer (dependencies, spring-boot-loader,
# snapshot-dependencies, application), in the exploded launcher layout.
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination layers

########################################################################################
FROM ${RUNTIME_IMAGE}

ARG APP_UID=10001
ARG APP_GID=10001

LABEL org.opencontainers.image.title="llm-gateway" \
      org.opencontainers.image.description="AI gateway built for observability of LLM traffic" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric uid/gid so Kubernetes can check runAsNonRoot; no home, no login shell.
RUN groupadd --system --gid "${APP_GID}" gateway \
 && useradd --system --uid "${APP_UID}" --gid gateway --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin gateway \
 && mkdir -p /config \
 && chmod 0755 /config

WORKDIR /app
# Least likely to change first, so rebuilds reuse the lower layers.
COPY --from=extract /extract/layers/dependencies/ ./
COPY --from=extract /extract/layers/spring-boot-loader/ ./
COPY --from=extract /extract/layers/snapshot-dependencies/ ./
COPY --from=extract /extract/layers/application/ ./
COPY --chmod=0755 docker/healthcheck.sh /usr/local/bin/healthcheck

# Container-aware heap sizing: the heap follows the memory limit of the container rather
# than the host. The rest of the limit is left for metaspace, threads, Netty direct buffers.
# Override at run time with JAVA_TOOL_OPTIONS (the Helm chart does, from values).
# Routes and other settings: mount a file at /config/application.yml (no rebuild needed).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50.0 -XX:+ExitOnOutOfMemoryError" \
    SERVER_PORT=8080 \
    SERVER_SHUTDOWN=graceful \
    MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED=true \
    SPRING_CONFIG_ADDITIONAL_LOCATION=optional:file:/config/

# /config holds application.yml (read-only mount); /tmp must be writable (Netty native libraries).
VOLUME ["/tmp"]
EXPOSE 8080

USER ${APP_UID}:${APP_GID}

# Liveness group of the actuator, on the management port when one is set.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["/usr/local/bin/healthcheck"]

# java is PID 1 (exec form), so SIGTERM reaches the JVM and starts the graceful shutdown.
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
