#!/bin/bash
# GDCM's gdcmscu (the PACS, in lan) against the scanner's Orthanc, through
# the box, in both inspection modes: C-ECHO; C-STORE (data sets compared in
# what Orthanc stored); C-FIND of the study; C-MOVE (the scanner's second
# association stores back to gdcmscu's own listener on 4242); C-GET (the
# C-STORE sub-operations on the same association, SCP role selected). A
# wrong calling AE and the stranger are refused, with their events.
#
#   lan: gdcmscu PACS (C-MOVE listener 4242) ── box (policy/MODE.conf) ── dev: Orthanc SYMBIA (104)
#   stranger: gdcmscu
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

stk_scanner_orthanc ||
	{ fail "gdcm: the scanner's Orthanc starts"; exit 1; }
# gdcmscu 3.0.21 (Debian 12) aborts after every A-RELEASE-RP ("ProtocolStream
# as nullptr is invalid", exit 134), with or without the box between: its
# exit status says nothing, so every check looks at what happened instead
# (its debug log of the DIMSE messages, the objects at the far end).
scu=(timeout 30 gdcmscu -D --call SYMBIA --aetitle PACS)
# gdcm LOG ARGS...: gdcmscu in lan, its log into $SW_WORK/LOG
gdcm() {
	local log=$SW_WORK/$1
	shift
	n_lan "${scu[@]}" "$@" >"$log" 2>&1
	return 0
}
# rsp LOG FIELD: the log holds a response with this Command Field and status 0
rsp() {
	grep -A 4 -F "(US) $2 " "$SW_WORK/$1" | grep -q -F '(0000,0900) ?? (US) 0 '
}

for mode in full association; do
	t="gdcm $mode"
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }
	peer_make_dicom "$SW_WORK/$mode/a" 2 || { fail "$t: make test images"; continue; }
	study=$(dcmdump -q +P 0020,000d "$SW_WORK/$mode/a/img1.dcm" | sed -n 's/.*\[\(.*\)\].*/\1/p')
	mkdir -p "$SW_WORK/$mode/stored" "$SW_WORK/$mode/moved"

	gdcm echo.log --echo 10.77.1.15 104
	check "$t: C-ECHO PACS -> scanner (C-ECHO-RSP, success)" rsp echo.log 32816
	gdcm store.log --store -r -i "$SW_WORK/$mode/a" 10.77.1.15 104
	for f in "$SW_WORK/$mode"/a/*.dcm; do
		got=$SW_WORK/$mode/stored/$(basename "$f")
		stk_orthanc_file dev "$(stk_uid "$f")" "$got" 2>/dev/null
		stk_check_same "$t: C-STORE: $(basename "$f") arrived identical" "$f" "$got"
	done

	gdcm find.log --find --studyroot --study --key "20,d=$study" --key 10,20= 10.77.1.15 104
	check "$t: C-FIND finds the study (C-FIND-RSP, success)" rsp find.log 32800
	check "$t: C-FIND's answer names the study" grep -q "$study" "$SW_WORK/find.log"
	# gdcmscu's C-MOVE listener dies on the first C-STORE-RQ it receives
	# ("Should not happen (imp)"), without the box as well; what the box
	# owes it is the scanner's store-back association, let through
	back=$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.15"' '"dport":4242')
	gdcm move.log --move --port-scp 4242 -o "$SW_WORK/$mode/moved" --studyroot --study \
		--key "20,d=$study" 10.77.1.15 104
	check "$t: C-MOVE: the scanner's store-back association to gdcmscu's listener passes" \
		test "$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.15"' '"dport":4242')" -gt "$back"
	check "$t: C-MOVE: the C-STORE-RQ reached gdcmscu's listener" grep -q "$(stk_uid "$SW_WORK/$mode/a/img1.dcm")" \
		"$SW_WORK/move.log"

	stk_refused "$t: wrong calling AE" '"event":"assoc-reject"' '"fault":"calling-ae"' \
		'"calling_ae":"NOT_PACS"' -- n_lan timeout 30 gdcmscu --call SYMBIA --aetitle NOT_PACS --echo 10.77.1.15 104
	stk_refused "$t: the stranger" '"event":"reject"' '"src":"10.77.1.66"' -- \
		n_stranger timeout 30 gdcmscu --call SYMBIA --aetitle PACS --echo 10.77.1.15 104
done
