# shellcheck shell=bash
# Helpers of the real-stack tests (tests/stacks/test_*.sh); brings in
# tests/lib.sh (checks) and scripts/topo.sh (namespaces, peers, scanwalld):
#
#   stk_begin              the prologue: netns_test_begin (scratch directory,
#                          topology, cleanup however the test ends)
#   stk_mode MODE          scanwalld on tests/stacks/policy/MODE.conf (full or
#                          association), with a fresh events file; STK_MODE
#   stk_scanner_orthanc    the scanner's Orthanc (dev, SYMBIA on 104; the PACS
#                          is 10.77.1.10:4242)
#   stk_orthanc HOST AET PORT MODALITIES
#                          an Orthanc of its own in namespace HOST: storage in
#                          $SW_WORK/orthanc-HOST, DICOM on PORT, REST on the
#                          namespace's loopback 8042, MODALITIES the JSON body
#                          of its DicomModalities
#   stk_rest HOST METHOD PATH [BODY]   its REST API, through curl in HOST
#   stk_orthanc_file HOST SOPUID OUT   the object Orthanc stored for a UID
#   stk_check_same LABEL SENT GOT      a check: the two files hold the same data set
#                                      (in whatever transfer syntax)
#   stk_refused LABEL PATTERN... -- CMD...
#                          CMD (n_lan ..., stk_rest ...) must fail, and one
#                          more event with every PATTERN must follow
STK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$STK_DIR/../lib.sh"
. "$STK_DIR/../../scripts/topo.sh"

stk_begin() { netns_test_begin; }

stk_mode() {
	STK_MODE=$1
	sw_stop
	[ -f "$SW_WORK/events.json" ] && mv "$SW_WORK/events.json" "$SW_WORK/events.$(date +%s%N).json"
	sw_start "$STK_DIR/policy/$STK_MODE.conf"
}

stk_orthanc() {
	local host=$1 aet=$2 port=$3 modalities=$4 dir="$SW_WORK/orthanc-$1"
	mkdir -p "$dir/db"
	cat >"$dir/orthanc.json" <<-EOF
		{
		  "Name" : "scanwall-$host",
		  "StorageDirectory" : "$dir/db",
		  "IndexDirectory" : "$dir/db",
		  "StorageCompression" : false,
		  "Plugins" : [ ],
		  "HttpServerEnabled" : true,
		  "HttpPort" : 8042,
		  "RemoteAccessAllowed" : false,
		  "AuthenticationEnabled" : false,
		  "DicomServerEnabled" : true,
		  "DicomAet" : "$aet",
		  "DicomPort" : $port,
		  "DicomCheckCalledAet" : true,
		  "DicomAlwaysAllowEcho" : true,
		  "DicomAlwaysAllowStore" : true,
		  "DicomScuTimeout" : 10,
		  "DicomScpTimeout" : 10,
		  "DicomAssociationCloseDelay" : 0,
		  "SaveJobs" : false,
		  "ConcurrentJobs" : 1,
		  "DicomModalities" : { $modalities }
		}
	EOF
	ip netns exec "$(topo_ns "$host")" Orthanc "$dir/orthanc.json" >>"$dir/log" 2>&1 &
	topo_wait_tcp "$host" 127.0.0.1 "$port" 20 && topo_wait_tcp "$host" 127.0.0.1 8042 20
}

stk_scanner_orthanc() {
	stk_orthanc dev SYMBIA 104 '"pacs" : [ "PACS", "10.77.1.10", 4242 ]'
}

stk_rest() {
	local host=$1 method=$2 path=$3
	shift 3
	ip netns exec "$(topo_ns "$host")" curl -sS -f --max-time 30 -X "$method" \
		"http://127.0.0.1:8042$path" "$@"
}

# the object Orthanc keeps for a SOP Instance UID, byte for byte as received
stk_orthanc_file() {
	local host=$1 uid=$2 out=$3 id
	id=$(stk_rest "$host" POST /tools/lookup -d "$uid" |
		/usr/bin/python3 -c 'import json,sys; print([x["ID"] for x in json.load(sys.stdin) if x["Type"] == "Instance"][0])' 2>/dev/null) ||
		return 1
	stk_rest "$host" GET "/instances/$id/file" -o "$out"
}

stk_uid() { dcmdump -q +P 0008,0018 "$1" | sed -n 's/.*\[\(.*\)\].*/\1/p'; }

# the data set whatever transfer syntax carried it (dcmdump's '#' header
# lines name it)
stk_dataset() { peer_dataset "$1" | grep -v '^#'; }

stk_check_same() {
	local label=$1 sent=$2 got=$3
	if [ -s "$got" ] && diff <(stk_dataset "$sent") <(stk_dataset "$got") >"$SW_WORK/diff.log" 2>&1; then
		ok "$label"
	else
		fail "$label (got '${got}')"
	fi
}

stk_refused() {
	local label=$1 p=() before i
	shift
	while [ "$1" != -- ]; do p+=("$1"); shift; done
	shift
	before=$(sw_event_count "${p[@]}")
	if "$@" >>"$SW_WORK/refused.log" 2>&1; then
		fail "$label: refused (it passed)"
		return
	fi
	for ((i = 0; i < 50; i++)); do
		[ "$(sw_event_count "${p[@]}")" -gt "$before" ] && { ok "$label: refused, with its event"; return; }
		sleep 0.1
	done
	fail "$label: refused, with its event (${p[*]})"
}

