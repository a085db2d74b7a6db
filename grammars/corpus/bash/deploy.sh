#!/usr/bin/env bash
# Deploys the service to a target host: build, upload, restart, verify.

set -euo pipefail

readonly APP_NAME="orders"
declare -r CONFIG_DIR="/etc/${APP_NAME}"
export DEPLOY_ENV="${DEPLOY_ENV:-staging}"
RETRIES=3
log_file=""

log() {
  local level="$1"
  shift
  printf '[%s] %s\n' "$level" "$*" >&2
  if [[ -n "$log_file" ]]; then
    echo "$level $*" >>"$log_file"
  fi
}

function die {
  log ERROR "$@"
  exit 1
}

build() {
  local out="dist/${APP_NAME}.tar.gz"
  mkdir -p dist
  tar -czf "$out" src/ || die "build failed"
  echo "$out"
}

upload() {
  local artifact="$1" host="$2"
  attempt=0
  until scp "$artifact" "$host:/tmp/"; do
    attempt=$((attempt + 1))
    if ((attempt >= RETRIES)); then
      die "upload to $host failed"
    fi
    sleep 2
  done
}

restart() {
  ssh "$1" "sudo systemctl restart ${APP_NAME}"
}

verify() {
  local host="$1"
  curl -fsS "http://${host}:8080/health" >/dev/null
}

main() {
  local host="${1:?usage: deploy.sh HOST}"
  log_file="deploy-$(date +%s).log"
  log INFO "deploying ${APP_NAME} to ${host} (${DEPLOY_ENV})"
  artifact=$(build)
  upload "$artifact" "$host"
  restart "$host"
  verify "$host" && log INFO "done"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
