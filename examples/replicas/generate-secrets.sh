#!/bin/sh
# Creates ./secrets with the keys and secrets docker-compose.yml mounts.
# Existing files are kept, so running it again never changes a key.
# The DingTalk secrets are placeholders: paste your apps' real AppSecret,
# SSO secret and SuiteSecret into those files (docs/dingtalk-setup.md).
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets

gen() { # gen FILE BYTES
	[ -s "secrets/$1" ] || openssl rand -base64 "$2" | tr -d '\n' >"secrets/$1"
}
gen dingbridge-encryption-key 32
gen dingbridge-cookie-hash-key 64
gen dingbridge-cookie-block-key 32
gen dingtalk-suite-ticket-push-token 32
gen grafana-client-secret 32
gen keycloak-client-secret 32
gen oauth2-proxy-client-secret 32

placeholder() { # placeholder FILE
	[ -s "secrets/$1" ] || echo "replace with the DingTalk $1" >"secrets/$1"
}
placeholder dingtalk-app-secret
placeholder dingtalk-sso-secret
placeholder dingtalk-suite-secret

# The containers run as the non-root user 65532: the files must be
# readable by it (bind-mounted secrets keep their owner and mode).
chmod 0644 secrets/*
[ -s .env ] || printf 'POSTGRES_PASSWORD=%s\n' "$(openssl rand -hex 24)" >.env
echo "secrets written to $(pwd)/secrets; PostgreSQL password in $(pwd)/.env"
