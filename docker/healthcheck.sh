#!/bin/bash
# Container health check for llm-gateway: GET the actuator liveness group and succeed on HTTP 200.
# Uses bash's /dev/tcp only, so the runtime image needs neither curl nor wget.
# Port: MANAGEMENT_SERVER_PORT when the actuator runs on its own port, else SERVER_PORT, else 8080.
# Path: HEALTHCHECK_PATH (default /actuator/health/liveness).
set -u
port="${MANAGEMENT_SERVER_PORT:-${SERVER_PORT:-8080}}"
path="${HEALTHCHECK_PATH:-/actuator/health/liveness}"

exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n' "${path}" >&3
IFS= read -r -t 4 status_line <&3 || exit 1
exec 3<&- 3>&-
case "${status_line}" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) exit 1 ;;
esac
