#!/bin/bash
# dcmtk tools and options the netns tests do not use, through the box in
# both inspection modes, every image checked at the far end:
#   storescu scanner -> PACS: deflate, big endian, JPEG lossless, max send
#     PDU 4,096, PDUs of 131,072 to a storescp that takes them, 128
#     presentation contexts (an RQ of about 11 KB), user identity, an
#     A-ABORT by the sender once its images are stored
#   findscu -W scanner -> RIS (wlmscpfs): the worklist, and a C-CANCEL
#   movescu PACS -> scanner (Orthanc): the second association stores to
#     the PACS's storescp; getscu: C-STORE sub-operations on the same one
#   refused: getscu from the viewer (verification only)
#
#   lan: storescp PACS (4242), wlmscpfs RIS (4243), movescu/getscu
#        ── box (policy/MODE.conf) ── dev: Orthanc SYMBIA (104), storescu, findscu
#   viewer: getscu
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

dcm=(-to 10 -ta 10 -td 10)
pacs=$SW_WORK/pacs
mkdir -p "$pacs" "$SW_WORK/wl/RIS"
n_lan storescp -ta 10 -td 10 -aet PACS +xa --max-pdu 131072 -od "$pacs" 4242 >>"$SW_WORK/storescp.log" 2>&1 &
topo_wait_tcp lan 10.77.1.10 4242 || { fail "dcmtk more: storescp listens"; exit 1; }

# the RIS's worklist: two scheduled steps for the scanner
for i in 1 2; do
	cat >"$SW_WORK/wl$i.dump" <<-EOF
		(0008,0005) CS [ISO_IR 100]
		(0008,0050) SH [ACC000$i]
		(0010,0010) PN [Worklist^Patient$i]
		(0010,0020) LO [WL000$i]
		(0010,0030) DA [19700101]
		(0010,0040) CS [O]
		(0020,000d) UI [1.2.826.0.1.3680043.9.7777.7.$i]
		(0032,1032) PN [Referring^Physician]
		(0032,1060) LO [Bone scan]
		(0040,0100) SQ
		(fffe,e000) -
		(0008,0060) CS [NM]
		(0040,0001) AE [SYMBIA]
		(0040,0002) DA [20261206]
		(0040,0003) TM [120000]
		(0040,0006) PN [Performing^Physician]
		(0040,0007) LO [Bone scan]
		(0040,0009) SH [SPS000$i]
		(0040,0010) SH [NM2]
		(0040,0011) SH [Room 2]
		(fffe,e00d) -
		(fffe,e0dd) -
		(0040,1001) SH [RP000$i]
		(0040,1003) SH [LOW]
	EOF
	dump2dcm -q "$SW_WORK/wl$i.dump" "$SW_WORK/wl/RIS/wl$i.wl" || fail "dcmtk more: worklist file $i"
done
touch "$SW_WORK/wl/RIS/lockfile"
n_lan wlmscpfs -ta 10 -dfp "$SW_WORK/wl" 4243 >>"$SW_WORK/wlmscpfs.log" 2>&1 &
topo_wait_tcp lan 10.77.1.10 4243 || { fail "dcmtk more: wlmscpfs listens"; exit 1; }

stk_scanner_orthanc ||
	{ fail "dcmtk more: the scanner's Orthanc starts"; exit 1; }

# storescu's profiles: Many, 128 presentation contexts (storage classes of
# the box's own catalog, Secondary Capture first, each with three
# uncompressed transfer syntaxes); Big, Secondary Capture in big endian only
{
	printf '[[TransferSyntaxes]]\n[Uncompressed]\n'
	printf 'TransferSyntax1 = LocalEndianExplicit\nTransferSyntax2 = OppositeEndianExplicit\n'
	printf 'TransferSyntax3 = LittleEndianImplicit\n[BigOnly]\nTransferSyntax1 = BigEndianExplicit\n'
	printf '[[PresentationContexts]]\n[Big]\n'
	printf 'PresentationContext1 = SecondaryCaptureImageStorage\\BigOnly\n[Many]\n'
	{
		echo 1.2.840.10008.5.1.4.1.1.7
		grep -o '"1\.2\.840\.10008\.5\.1\.4\.1\.1\.[0-9.]*"' "$here/../../src/dicom/catalog.c" | tr -d '"' |
			grep -vx 1.2.840.10008.5.1.4.1.1.7
	} | head -n 128 | awk '{ printf "PresentationContext%d = %s\\Uncompressed\n", NR, $1 }'
	printf '[[Profiles]]\n[Many]\nPresentationContexts = Many\n[Big]\nPresentationContexts = Big\n'
} >"$SW_WORK/storescu.cfg"

# arrived LABEL FILE...: each file is in the PACS's storescp directory
# (named after its SOP Instance UID) with the same data set
arrived() {
	local label=$1 f got
	shift
	for f in "$@"; do
		got=$(find "$pacs" -name "*$(stk_uid "$f")" | head -n 1)
		stk_check_same "$label: $(basename "$f") arrived identical" "$f" "${got:-$pacs/none}"
	done
}
# store LABEL FILES_DIR TS STORESCU_OPTIONS...: scanner -> PACS, then
# arrived; with TS, the file storescp wrote names that transfer syntax
store() {
	local label=$1 dir=$2 ts=$3 f got
	shift 3
	check "$label" n_dev timeout 30 storescu "${dcm[@]}" -aet SYMBIA -aec PACS "$@" \
		10.77.1.10 4242 "$dir"/*.dcm
	arrived "$label" "$dir"/*.dcm
	[ -n "$ts" ] || return 0
	for f in "$dir"/*.dcm; do
		got=$(find "$pacs" -name "*$(stk_uid "$f")" | head -n 1)
		check "$label: sent as $ts" grep -q "Used TransferSyntax: $ts" <(dcmdump -q -M "${got:-/dev/null}" 2>&1)
	done
}

for mode in full association; do
	t="dcmtk more $mode"
	w=$SW_WORK/$mode
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }
	for v in deflate big jpeg pdu4k pdu128k many user abort qr; do
		case $v in
		pdu4k) peer_make_dicom "$w/$v" 1 128 ;;
		pdu128k) peer_make_dicom "$w/$v" 1 512 ;;
		*) peer_make_dicom "$w/$v" 1 ;;
		esac || fail "$t: make test images ($v)"
	done
	dcmcjpeg +e1 "$w/jpeg/img1.dcm" "$w/jpeg/img1.jpeg" && mv "$w/jpeg/img1.jpeg" "$w/jpeg/img1.dcm" ||
		fail "$t: JPEG lossless test image"

	store "$t: storescu, deflate" "$w/deflate" Deflated -xd
	store "$t: storescu, big endian" "$w/big" "Big Endian" -xf "$SW_WORK/storescu.cfg" Big
	store "$t: storescu, JPEG lossless" "$w/jpeg" "JPEG Lossless" -xs
	store "$t: storescu, max send PDU 4096" "$w/pdu4k" "" --max-send-pdu 4096
	store "$t: storescu, PDUs of 131072" "$w/pdu128k" "" --max-pdu 131072 --max-send-pdu 131072
	store "$t: storescu, 128 presentation contexts" "$w/many" "" -xf "$SW_WORK/storescu.cfg" Many
	store "$t: storescu, user identity" "$w/user" "" --user scanner --password secret
	aborts=$(sw_event_count '"event":"assoc-abort"' '"calling_ae":"SYMBIA"')
	store "$t: storescu, A-ABORT by the sender" "$w/abort" "" --abort
	# (under inspect association the kernel carries the flow after the AC)
	[ "$mode" = full ] && check "$t: the sender's A-ABORT is an event" \
		test "$(sw_event_count '"event":"assoc-abort"' '"calling_ae":"SYMBIA"')" -gt "$aborts"

	n_dev timeout 30 findscu "${dcm[@]}" -v -W -aet SYMBIA -aec RIS -k PatientID -k PatientName \
		10.77.1.10 4243 >"$w/wl.out" 2>&1
	check "$t: findscu worklist, both steps" test "$(grep -c -E 'WL000[12]' "$w/wl.out")" = 2
	cancel_aborts=$(sw_event_count '"event":"assoc-abort"' '"called_ae":"RIS"')
	check "$t: findscu worklist, C-CANCEL after the first answer" n_dev timeout 30 findscu "${dcm[@]}" \
		-W --cancel 1 -aet SYMBIA -aec RIS -k PatientID 10.77.1.10 4243
	check "$t: the C-CANCEL passed the box (no abort)" \
		test "$(sw_event_count '"event":"assoc-abort"' '"called_ae":"RIS"')" = "$cancel_aborts"

	# Q/R on the scanner's Orthanc: C-MOVE to the PACS's storescp, C-GET to getscu
	stk_rest dev POST /instances --data-binary "@$w/qr/img1.dcm" -o /dev/null
	study=$(dcmdump -q +P 0020,000d "$w/qr/img1.dcm" | sed -n 's/.*\[\(.*\)\].*/\1/p')
	rm -f "$pacs"/*"$(stk_uid "$w/qr/img1.dcm")"
	check "$t: movescu PACS -> scanner, moved to the PACS" n_lan timeout 30 movescu "${dcm[@]}" -S \
		-aet PACS -aec SYMBIA -aem PACS -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study" 10.77.1.15 104
	arrived "$t: C-MOVE" "$w/qr/img1.dcm"
	mkdir -p "$w/got"
	check "$t: getscu PACS -> scanner" n_lan timeout 30 getscu "${dcm[@]}" -S -aet PACS -aec SYMBIA \
		-od "$w/got" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study" 10.77.1.15 104
	stk_check_same "$t: C-GET: img1.dcm arrived identical" "$w/qr/img1.dcm" \
		"$(find "$w/got" -name "*$(stk_uid "$w/qr/img1.dcm")" | head -n 1)"

	stk_refused "$t: getscu from the viewer (verification only)" '"event":"assoc-reject"' \
		'"calling_ae":"VIEWER"' -- n_viewer timeout 30 getscu "${dcm[@]}" -S -aet VIEWER -aec SYMBIA \
		-od "$w/got" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study" 10.77.1.15 104
done
