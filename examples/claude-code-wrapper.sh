#!/usr/bin/env bash
# claude-code-wrapper.sh: track a Claude Code session in Keito.
#
# Adapted from the Keito reference's "Example: Claude Code Wrapper". It starts a Keito timer,
# runs `claude` with your arguments, and when Claude Code exits (normally, with an error, or
# on Ctrl-C) it stops the timer and logs the session's token usage as an LLM Usage expense.
#
# Usage:
#   claude-code-wrapper.sh [--project PROJECT] [--task TASK] [--] [claude arguments ...]
#
#   --project, --task  The Keito project and task. Without them Keito uses its defaults:
#                      KEITO_PROJECT / KEITO_TASK, the nearest .keito.toml, ~/.keito/config.toml.
#   Everything else is passed to `claude` unchanged.
#
# Environment:
#   KEITO_API_KEY             The agent's API key (recommended: a dedicated agent user).
#   KEITO_DISCARD_ON_FAILURE  Set to 1 to discard the timer when claude exits with an error.
#                             By default the time is kept, as in the reference's wrapper.
#   KEITO_BIN, CLAUDE_BIN     The keito and claude programs (default: found on PATH).
#
# The entry has source "agent", metadata.agent_type "claude-code" and a new
# metadata.session_id; the expense carries the same session_id. While claude runs,
# KEITO_AGENT_HOOKS=off stops hooks installed with `keito agent hooks install claude-code`
# from tracking the same session twice. The wrapper exits with claude's exit status.
set -uo pipefail

KEITO="${KEITO_BIN:-keito}"
CLAUDE="${CLAUDE_BIN:-claude}"
PROJECT_ARGS=()
TASK_ARGS=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --project|--task)
            [ "$#" -ge 2 ] || { echo "claude-code-wrapper: $1 needs a value" >&2; exit 2; }
            if [ "$1" = --project ]; then PROJECT_ARGS=(--project "$2"); else TASK_ARGS=(--task "$2"); fi
            shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done

SESSION_ID=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid 2>/dev/null \
    || python3 -c 'import uuid; print(uuid.uuid4())')
SESSION_ID=$(printf '%s' "$SESSION_ID" | tr 'A-Z' 'a-z')
NOTES="Claude Code session ${SESSION_ID:0:8}"
AGENT_META='{"agent_type": "claude-code"}'
STARTED_AT=$(date +%s)
CLAUDE_STATUS=130   # what we report if we are interrupted before claude returns
ENTRY=""

# Start the timer. If that fails (no project, no workspace ...), say why and run claude anyway.
# (${ARRAY[@]+"${ARRAY[@]}"} expands an empty array safely, even in the bash 3.2 of macOS.)
if ENTRY=$("$KEITO" time start ${PROJECT_ARGS[@]+"${PROJECT_ARGS[@]}"} \
        ${TASK_ARGS[@]+"${TASK_ARGS[@]}"} --source agent --session-id "$SESSION_ID" \
        --metadata "$AGENT_META" --notes "$NOTES" -q); then
    echo "Keito: tracking this Claude Code session (entry $ENTRY, session $SESSION_ID)" >&2
else
    echo "Keito: could not start a timer; this session is not tracked" >&2
    ENTRY=""
fi

# Tokens used since the session started, from Claude Code's transcripts for this directory:
# prints "QUANTITY NOTES" (QUANTITY in thousands of tokens), or nothing when there are none.
session_tokens() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 - "${CLAUDE_CONFIG_DIR:-$HOME/.claude}" "$PWD" "$STARTED_AT" <<'PY' 2>/dev/null
import glob, json, os, sys
from datetime import datetime

root, cwd, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
usage, models = {}, []
for path in glob.glob(os.path.join(root, "projects", "*", "*.jsonl")):
    if os.path.getmtime(path) < since:
        continue
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines):
            try:
                record = json.loads(line)
                when = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            message = record.get("message")
            if (record.get("type") != "assistant" or record.get("cwd") != cwd
                    or when.timestamp() < since or not isinstance(message, dict)
                    or not isinstance(message.get("usage"), dict)):
                continue
            usage[message.get("id") or f"{path}:{number}"] = message["usage"]
            model = message.get("model")
            if isinstance(model, str) and model[:1] not in ("", "<") and model not in models:
                models.append(model)

def total(*keys):
    return sum(u.get(k) or 0 for u in usage.values() for k in keys)

tokens_in = total("input_tokens", "cache_creation_input_tokens")
tokens_out = total("output_tokens")
if tokens_in + tokens_out > 0:
    k = lambda n: f"{n / 1000:.1f}".removesuffix(".0") + "k"
    print(f"{(tokens_in + tokens_out) / 1000:.3f} {', '.join(models) or 'tokens'}: "
          f"{k(tokens_in)} input + {k(tokens_out)} output tokens")
PY
}

finish() {
    [ -n "$ENTRY" ] || return 0
    # Stop only our own timer: someone may have stopped it, or started another, meanwhile.
    local running
    running=$("$KEITO" time status -q 2>/dev/null || true)
    if [ "$running" != "$ENTRY" ]; then
        echo "Keito: entry $ENTRY is no longer running; nothing to stop" >&2
        return 0
    fi
    if [ "$CLAUDE_STATUS" -ne 0 ] && [ "${KEITO_DISCARD_ON_FAILURE:-0}" = "1" ]; then
        "$KEITO" time stop --discard -q >/dev/null \
            && echo "Keito: claude failed (exit $CLAUDE_STATUS); discarded entry $ENTRY" >&2
        return 0
    fi
    "$KEITO" time stop -q >/dev/null && echo "Keito: saved entry $ENTRY" >&2
    local tokens
    tokens=$(session_tokens)
    if [ -n "$tokens" ]; then
        "$KEITO" expense log ${PROJECT_ARGS[@]+"${PROJECT_ARGS[@]}"} --category "LLM Usage" \
            --quantity "${tokens%% *}" --notes "${tokens#* }" --source agent \
            --session-id "$SESSION_ID" --metadata "$AGENT_META" -q >/dev/null \
            && echo "Keito: logged ${tokens%% *}k tokens as LLM Usage" >&2
    else
        echo "Keito: token usage unknown; no expense logged" >&2
    fi
}

trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KEITO_AGENT_HOOKS=off "$CLAUDE" "$@"
CLAUDE_STATUS=$?
exit "$CLAUDE_STATUS"
