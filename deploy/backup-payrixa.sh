#!/bin/sh
# Payrixa daily backup for cron (web-api-ops §7.3; the checklist's backup-payrixa.sh), when
# systemd's payrixa-backup.timer is not used:
#   /etc/cron.d/payrixa-backup:  0 2 * * * www-data /var/www/payrixa/deploy/backup-payrixa.sh
# Runs `payrixa backup` with the production environment file; extra arguments are passed on
# (e.g. --keep-days 14). Every output line goes to stdout (cron mails it) and to syslog (tag
# payrixa-backup: info on success, err on failure); the exit status is payrixa's.
set -u

APP_DIR="${PAYRIXA_DIR:-/var/www/payrixa}"
ENV_FILE="${PAYRIXA_ENV_FILE:-$APP_DIR/.env.production}"
TAG=payrixa-backup

log() {
  priority="$1"
  shift
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$TAG" "$*"
  if command -v logger >/dev/null 2>&1; then logger -t "$TAG" -p "user.$priority" -- "$*" || true; fi
}

if [ ! -r "$ENV_FILE" ]; then
  log err "cannot read $ENV_FILE; set PAYRIXA_ENV_FILE or install the environment file"
  exit 1
fi

cd "$APP_DIR" || {
  log err "cannot enter $APP_DIR"
  exit 1
}

output_file="$(mktemp)"
trap 'rm -f "$output_file"' EXIT
PAYRIXA_ENV="${PAYRIXA_ENV:-production}" "$APP_DIR/bin/payrixa" --env-file "$ENV_FILE" backup "$@" >"$output_file" 2>&1
status=$?

if [ "$status" -eq 0 ]; then priority=info; else priority=err; fi
while IFS= read -r line || [ -n "$line" ]; do
  log "$priority" "$line"
done <"$output_file"
if [ "$status" -ne 0 ]; then log err "payrixa backup failed (exit $status)"; fi
exit "$status"
