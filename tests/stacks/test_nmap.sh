#!/bin/bash
# nmap's DICOM scripts through the box, in both inspection modes:
# dicom-ping with the right titles finds the scanner; with nmap's default
# called AE (ANY-SCP) the box's A-ASSOCIATE-RJ is what nmap sees ("Called
# AET check enabled"); dicom-brute guesses the called AE title from a list:
# every wrong guess is refused by the box with its called-ae event, the
# right one is found. The stranger sees a closed port.
#
#   lan: nmap (calling AE PACS) ── box (policy/MODE.conf) ── dev: storescp SYMBIA (104)
#   stranger: nmap
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

# storescp logs each association's request (-d), so a leak would show
mkdir -p "$SW_WORK/recv"
n_dev storescp -d -aet SYMBIA -od "$SW_WORK/recv" -ta 10 -td 10 104 >"$SW_WORK/storescp.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 104 || { fail "nmap: storescp listens"; exit 1; }
printf '%s\n' NOT_IT WRONG_AE SYMBIA ALSO_WRONG >"$SW_WORK/aets.txt"
scan=(timeout 60 nmap -n -Pn -sT -p 104 --script-timeout 30s)

for mode in full association; do
	t="nmap $mode"
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }

	n_lan "${scan[@]}" --script dicom-ping \
		--script-args dicom.calling_aet=PACS,dicom.called_aet=SYMBIA 10.77.1.15 >"$SW_WORK/ping.out" 2>&1
	check "$t: dicom-ping with the scanner's titles is accepted" \
		grep -q 'Any AET is accepted' "$SW_WORK/ping.out"
	check "$t: ... an association the box accepted" sw_wait_event 5 '"event":"assoc-accept"' \
		'"calling_ae":"PACS"' '"called_ae":"SYMBIA"'

	rj=$(sw_event_count '"event":"assoc-reject"' '"called_ae":"ANY-SCP"' '"fault":"called-ae"')
	n_lan "${scan[@]}" --script dicom-ping --script-args dicom.calling_aet=PACS 10.77.1.15 \
		>"$SW_WORK/ping-any.out" 2>&1
	check "$t: dicom-ping as ANY-SCP gets the box's A-ASSOCIATE-RJ" \
		grep -q 'Called AET check enabled' "$SW_WORK/ping-any.out"
	check "$t: ... with its called-ae event" \
		test "$(sw_event_count '"event":"assoc-reject"' '"called_ae":"ANY-SCP"' '"fault":"called-ae"')" -gt "$rj"

	n_lan "${scan[@]}" --script dicom-brute --script-args \
		"dicom.calling_aet=PACS,passdb=$SW_WORK/aets.txt,brute.threads=2" 10.77.1.15 >"$SW_WORK/brute.out" 2>&1
	check "$t: dicom-brute finds the called AE title SYMBIA" grep -q 'SYMBIA - Valid credentials' "$SW_WORK/brute.out"
	for ae in NOT_IT WRONG_AE ALSO_WRONG; do
		check "$t: dicom-brute's guess $ae refused, with its event" sw_wait_event 5 \
			'"event":"assoc-reject"' "\"called_ae\":\"$ae\"" '"fault":"called-ae"'
	done
	check "$t: storescp saw the right guess" grep -q 'Called Application Name: *SYMBIA' "$SW_WORK/storescp.log"
	check "$t: no wrong guess reached storescp" \
		test "$(grep -c -E 'NOT_IT|WRONG_AE|ALSO_WRONG|ANY-SCP' "$SW_WORK/storescp.log")" = 0

	n_stranger "${scan[@]}" --script dicom-ping 10.77.1.15 >"$SW_WORK/stranger.out" 2>&1
	check "$t: the stranger sees port 104 closed" grep -q '^104/tcp *closed' "$SW_WORK/stranger.out"
	check "$t: the stranger's SYN refused, with its event" sw_wait_event 5 '"event":"reject"' \
		'"src":"10.77.1.66"' '"dport":104'
done
