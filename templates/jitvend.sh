# jitvend for GitLab CI (POSIX sh). Inlined, byte for byte, into templates/jitvend.yml, the
# CI/CD component (test/e2e/gitlab-component.test.ts checks the copies are the same).
#
# JITVEND_CI_STEP=request (before_script): creates the request, saves its id, waits for
#   approval (status lines in the job log), and exports AWS_ACCESS_KEY_ID,
#   AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION into this shell,
#   which `script` shares. Fails the job with the CLI's exit code (docs/pipelines.md).
# JITVEND_CI_STEP=end (after_script): releases the issued request (unless
#   JITVEND_RELEASE=false), or cancels it if it is still waiting.
#
# Reads: JITVEND_ID_TOKEN (id_tokens), JITVEND_API, JITVEND_PROFILE, JITVEND_MANIFEST,
# JITVEND_ALLOW (one ACTIONS=RESOURCES per line), JITVEND_DURATION, JITVEND_WINDOW, JITVEND_REASON,
# JITVEND_WAIT_TIMEOUT, JITVEND_RELEASE, JITVEND_CLI (the command that runs the jitvend
# CLI, default `jitvend`), JITVEND_STATE_FILE. It never prints the credentials: keep
# CI_DEBUG_TRACE off in jobs that use it (shell tracing would show them).
jitvend_ci_state=${JITVEND_STATE_FILE:-${CI_PROJECT_DIR:-.}/.jitvend-request-${CI_JOB_ID:-local}}
jitvend_ci_cli=${JITVEND_CLI:-jitvend}
jitvend_ci_step=${JITVEND_CI_STEP:-request}
if [ -z "${JITVEND_ID_TOKEN:-}" ]; then
  echo "jitvend: no OIDC token: the job needs id_tokens: { JITVEND_ID_TOKEN: { aud: jitvend } }" >&2
  [ "$jitvend_ci_step" = end ] || exit 5
elif [ "$jitvend_ci_step" = end ]; then
  if [ ! -s "$jitvend_ci_state" ]; then
    echo "jitvend: no request was made in this job: nothing to end"
  elif [ "${JITVEND_RELEASE:-true}" = false ]; then
    echo "jitvend: release: false, request $(cat "$jitvend_ci_state") stays issued until it expires"
  else
    jitvend_ci_id=$(cat "$jitvend_ci_state")
    if JITVEND_TOKEN=$JITVEND_ID_TOKEN $jitvend_ci_cli --api "$JITVEND_API" release "$jitvend_ci_id" >/dev/null 2>&1; then
      echo "jitvend: request $jitvend_ci_id released: its credentials are denied from now on"
    elif JITVEND_TOKEN=$JITVEND_ID_TOKEN $jitvend_ci_cli --api "$JITVEND_API" cancel "$jitvend_ci_id" >/dev/null 2>&1; then
      echo "jitvend: request $jitvend_ci_id cancelled (the job ended before it was issued)"
    else
      echo "jitvend: request $jitvend_ci_id: nothing to end (already ended), or the API could not be reached:" >&2
      JITVEND_TOKEN=$JITVEND_ID_TOKEN $jitvend_ci_cli --api "$JITVEND_API" status "$jitvend_ci_id" --format text >&2 || true
    fi
    rm -f "$jitvend_ci_state"
  fi
else
  set -- --api "$JITVEND_API" request
  [ -z "${JITVEND_PROFILE:-}" ] || set -- "$@" --profile "$JITVEND_PROFILE"
  [ -z "${JITVEND_MANIFEST:-}" ] || set -- "$@" --manifest "$JITVEND_MANIFEST"
  [ -z "${JITVEND_DURATION:-}" ] || set -- "$@" --duration "$JITVEND_DURATION"
  [ -z "${JITVEND_WINDOW:-}" ] || set -- "$@" --window "$JITVEND_WINDOW"
  if [ -n "${JITVEND_REASON:-}" ]; then
    set -- "$@" --reason "$JITVEND_REASON"
  elif [ -n "${JITVEND_PROFILE:-}" ]; then
    set -- "$@" --reason "GitLab CI: ${CI_PROJECT_PATH:-?} pipeline ${CI_PIPELINE_ID:-?} job ${CI_JOB_NAME:-?}"
  fi
  [ -z "${CI_PIPELINE_URL:-}" ] || set -- "$@" --context "gitlab.pipeline_url=$CI_PIPELINE_URL"
  [ -z "${CI_JOB_URL:-}" ] || set -- "$@" --context "gitlab.job_url=$CI_JOB_URL"
  while IFS= read -r jitvend_ci_line; do
    jitvend_ci_line=$(printf '%s' "$jitvend_ci_line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    case $jitvend_ci_line in '' | '#'*) continue ;; esac
    set -- "$@" --allow "$jitvend_ci_line"
  done <<JITVEND_ALLOW_LINES
${JITVEND_ALLOW:-}
JITVEND_ALLOW_LINES
  # the same key twice is the same request: created (id saved for after_script), then waited for
  set -- "$@" --idempotency-key "gitlab-${CI_JOB_ID:-local}-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  if jitvend_ci_id=$(JITVEND_TOKEN=$JITVEND_ID_TOKEN $jitvend_ci_cli "$@"); then
    printf '%s\n' "$jitvend_ci_id" >"$jitvend_ci_state"
  else
    jitvend_ci_code=$?
    echo "jitvend: the request was not created (exit $jitvend_ci_code)" >&2
    [ "$jitvend_ci_code" != 127 ] || echo "jitvend: \"$jitvend_ci_cli\" is not installed here: give the component's cli input" >&2
    exit "$jitvend_ci_code"
  fi
  [ -z "${JITVEND_WAIT_TIMEOUT:-}" ] || set -- "$@" --wait-timeout "$JITVEND_WAIT_TIMEOUT"
  if jitvend_ci_env=$(JITVEND_TOKEN=$JITVEND_ID_TOKEN $jitvend_ci_cli "$@" --wait --format env); then
    eval "$jitvend_ci_env"
    unset jitvend_ci_env
    echo "jitvend: request $jitvend_ci_id: AWS credentials exported, valid until $AWS_CREDENTIAL_EXPIRATION"
  else
    jitvend_ci_code=$?
    unset jitvend_ci_env
    echo "jitvend: request $jitvend_ci_id gave no credentials (exit $jitvend_ci_code, see docs/pipelines.md)" >&2
    exit "$jitvend_ci_code"
  fi
fi
