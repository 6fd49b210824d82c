#!/bin/bash
# Two Orthancs through the box, driven by their REST APIs, in both
# inspection modes: the scanner's Orthanc stores to the PACS's; the PACS
# echoes, queries (C-FIND) and retrieves (C-MOVE: the scanner opens a
# second association back to the PACS to store) the scanner's images; every
# image arrives with the data set it left with. The scanner asks the PACS
# for storage commitment; the report comes on a new association. A wrong
# called AE, a C-FIND the rule does not allow and a third Orthanc on the
# stranger are refused, with their events.
#
#   lan: Orthanc PACS (4242) ──────┐
#   stranger: Orthanc (no rule) ───┴ box (scanwalld, policy/MODE.conf) ── dev: Orthanc SYMBIA (104)
#   each with its REST API on its own namespace's 127.0.0.1:8042
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

stk_scanner_orthanc ||
	{ fail "orthanc: the scanner's Orthanc starts"; exit 1; }
stk_orthanc lan PACS 4242 '"scanner" : [ "SYMBIA", "10.77.1.15", 104 ],
	"wrongae" : [ "NOT_SYMBIA", "10.77.1.15", 104 ]' ||
	{ fail "orthanc: the PACS's Orthanc starts"; exit 1; }
stk_orthanc stranger PACS 4242 '"scanner" : [ "SYMBIA", "10.77.1.15", 104 ]' ||
	{ fail "orthanc: the stranger's Orthanc starts"; exit 1; }

# upload FILE...: into the scanner's Orthanc (its own loopback, not the
# box); prints their Orthanc ids as a JSON list
upload() {
	local f sep=
	printf '['
	for f in "$@"; do
		printf '%s"%s"' "$sep" "$(stk_rest dev POST /instances --data-binary "@$f" |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')"
		sep=,
	done
	printf ']'
}

# arrived LABEL DIR: each image of DIR is on the PACS with the same data set
arrived() {
	local f
	for f in "$2"/*.dcm; do
		stk_orthanc_file lan "$(stk_uid "$f")" "$f.pacs" 2>/dev/null
		stk_check_same "$1: $(basename "$f") arrived identical" "$f" "$f.pacs"
	done
}

for mode in full association; do
	t="orthanc $mode"
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }
	peer_make_dicom "$SW_WORK/$mode/a" 2 && peer_make_dicom "$SW_WORK/$mode/b" 2 ||
		{ fail "$t: make test images"; continue; }

	check "$t: C-ECHO PACS -> scanner" stk_rest lan POST /modalities/scanner/echo -d '{}'
	check "$t: C-ECHO scanner -> PACS" stk_rest dev POST /modalities/pacs/echo -d '{}'

	ids=$(upload "$SW_WORK/$mode"/a/*.dcm)
	check "$t: C-STORE scanner -> PACS" stk_rest dev POST /modalities/pacs/store -o /dev/null \
		-d "{\"Resources\": $ids, \"Synchronous\": true}"
	arrived "$t: C-STORE" "$SW_WORK/$mode/a"

	# the PACS finds study b on the scanner, then has it moved to itself
	upload "$SW_WORK/$mode"/b/*.dcm >/dev/null
	study=$(dcmdump -q +P 0020,000d "$SW_WORK/$mode/b/img1.dcm" | sed -n 's/.*\[\(.*\)\].*/\1/p')
	query=$(stk_rest lan POST /modalities/scanner/query \
		-d "{\"Level\": \"Study\", \"Query\": {\"StudyInstanceUID\": \"$study\"}}" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
	answers=$(stk_rest lan GET "/queries/$query/answers" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
	# (one answer per patient: the images of a study name two patients)
	check "$t: C-FIND PACS -> scanner finds the study (${answers:-no} answers)" test "${answers:-0}" -ge 1
	back=$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.15"' '"dport":4242')
	check "$t: C-MOVE PACS -> scanner, stored back to the PACS" \
		stk_rest lan POST "/queries/$query/retrieve" -o /dev/null -d '{"TargetAet": "PACS", "Synchronous": true}'
	arrived "$t: C-MOVE" "$SW_WORK/$mode/b"
	check "$t: the C-MOVE's store back was an association of its own" \
		test "$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.15"' '"dport":4242')" -gt "$back"

	# storage commitment of set a: the PACS's Orthanc answers with an
	# N-EVENT-REPORT on an association of its own, PACS -> scanner
	reports=$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.10"' '"calling_ae":"PACS"')
	sop=$(dcmdump -q -Un +P 0008,0016 "$SW_WORK/$mode/a/img1.dcm" | sed -n 's/.*\[\(.*\)\].*/\1/p')
	job=$(stk_rest dev POST /modalities/pacs/storage-commitment -d "{\"DicomInstances\": [
		{\"SOPClassUID\": \"$sop\", \"SOPInstanceUID\": \"$(stk_uid "$SW_WORK/$mode/a/img1.dcm")\"},
		{\"SOPClassUID\": \"$sop\", \"SOPInstanceUID\": \"$(stk_uid "$SW_WORK/$mode/a/img2.dcm")\"}]}" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Path"])')
	for _ in $(seq 50); do
		status=$(stk_rest dev GET "${job:-/none}" 2>/dev/null |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Status"])' 2>/dev/null)
		[ "${status:-Pending}" != Pending ] && break
		sleep 0.2
	done
	check "$t: storage commitment scanner -> PACS: committed (${status:-no answer})" test "${status:-}" = Success
	check "$t: the report came on a new association PACS -> scanner" \
		test "$(sw_event_count '"event":"assoc-accept"' '"src":"10.77.1.10"' '"calling_ae":"PACS"')" -gt "$reports"

	stk_refused "$t: wrong called AE" '"event":"assoc-reject"' '"fault":"called-ae"' \
		'"called_ae":"NOT_SYMBIA"' -- stk_rest lan POST /modalities/wrongae/echo -d '{}'
	stk_refused "$t: the stranger's Orthanc" '"event":"reject"' '"src":"10.77.1.66"' '"dport":104' -- \
		stk_rest stranger POST /modalities/scanner/echo -d '{}'
	# the scanner's rule to the PACS has no query-retrieve: the PACS's
	# Orthanc accepts the C-FIND context, the box aborts at the C-FIND-RQ
	stk_refused "$t: C-FIND scanner -> PACS (not in the rule)" '"event":"assoc-abort"' \
		'"fault":"context-refused"' '"calling_ae":"SYMBIA"' -- \
		stk_rest dev POST /modalities/pacs/query -d '{"Level": "Study", "Query": {}}'
done
