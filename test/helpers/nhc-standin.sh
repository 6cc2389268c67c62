#!/usr/bin/env bash
# A stand-in for LBNL NHC, used by the tests when NHC itself is not installed (Debian does not package it): it
# offers what a check file relies on (die, log, dbg, getopts-style checks), loads INCDIR/*.nhc, and runs the
# checks of a configuration file ("TARGET || check ...") in order, stopping at the first failure as NHC does.
# Usage: nhc-standin.sh INCDIR CONFFILE
set -u
INCDIR="$1"
CONFFILE="$2"
NAME=nhc
HOSTNAME=$(hostname -s)
function log() { echo "$*"; }
function dbg() { :; }
function die() {
    local RET="$1"
    shift
    echo "ERROR:  $NAME:  Health check failed:  $*"
    exit "$RET"
}
for f in "$INCDIR"/*.nhc; do . "$f"; done
while IFS= read -r line; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    target="${line%%||*}"
    check="${line#*||}"
    target="${target//[[:space:]]/}"
    [[ "$target" == "*" || "$HOSTNAME" == $target ]] || continue
    eval "$check" || exit $?
done <"$CONFFILE"
exit 0
