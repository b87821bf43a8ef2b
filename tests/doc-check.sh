#!/usr/bin/env bash
# doc-check.sh SRC BUILD: the man pages stay true to the programs (every long
# option of each --help is documented in its page), render without warnings
# where man is installed, and the bash completion completes.
set -u
src=$1 build=$2 rc=0
check_page() { # PROGRAM PAGE
	local prog=$1 page=$2 text opt
	text=$(sed 's/\\-/-/g' "$page")
	for opt in $("$prog" --help | grep -o -- '--[a-z0-9-]*' | sort -u); do
		grep -q -- "$opt" <<<"$text" || { echo "FAIL: $page does not document $opt"; rc=1; }
	done
	if command -v man >/dev/null; then
		local w
		w=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
		[ -z "$w" ] || { echo "FAIL: $page: $w"; rc=1; }
	fi
}
check_page "$build/daemon/netjack-master" "$src/doc/netjack-master.8"
check_page "$build/daemon/netjack-slave" "$src/doc/netjack-slave.8"
check_page "$build/tools/netjack-ctl" "$src/doc/netjack-ctl.1"
check_page "$build/tools/netjack-browse" "$src/doc/netjack-browse.1"
check_page "$build/tools/netjack-dump" "$src/doc/netjack-dump.1"
# completion: `netjack-ctl st<TAB>` -> status; `netjack-slave --enco<TAB>` -> --encoder
out=$(PATH=$build/daemon:$build/tools:$PATH bash -c '
	source "$1"
	COMP_WORDS=(netjack-ctl st); COMP_CWORD=1; _netjack_ctl; echo "${COMPREPLY[*]}"
	COMP_WORDS=(netjack-slave --enco); COMP_CWORD=1; _netjack_daemon netjack-slave; echo "${COMPREPLY[*]}"
	COMP_WORDS=(netjack-slave --encoder o); COMP_CWORD=2; _netjack_daemon netjack-slave; echo "${COMPREPLY[*]}"
' _ "$src/doc/netjack.bash-completion")
expect=$'status\n--encoder\nopus'
[ "$out" = "$expect" ] || { echo "FAIL: completion gave: $out"; rc=1; }
[ $rc = 0 ] && echo "man pages document every option; completion works"
exit $rc
