#!/usr/bin/env node
// dcmjs-dimse peers for tests/stacks/test_dcmjs.sh (node_modules from
// tests/stacks/npm-deps.sh).
//
//   dimse.js scp PORT AET OUTDIR [--report same|new HOST PORT AET]
//       An SCP: C-ECHO; C-STORE (OUTDIR/UID.dcm); C-FIND on the worklist
//       (one item, answered the way a dcmjs-dimse RIS answers: Study Root
//       FIND as the response's Affected SOP Class); MPPS N-CREATE/N-SET
//       (OUTDIR/mpps-UID.json); storage commitment N-ACTION, with its
//       N-EVENT-REPORT on the same association or on a new one to HOST;
//       a received N-EVENT-REPORT goes to OUTDIR/report-UID.json.
//   dimse.js echo|store|worklist|mpps|commit HOST PORT CALLING CALLED [ARGS]
//       An SCU: store FILE...; commit FILE... (waits for the report on the
//       same association with --same); mpps UID (N-CREATE, then N-SET
//       COMPLETED). Exit 0 when every response was a success (worklist:
//       prints each item's PatientID), 1 otherwise. DIMSE_ASYNC=N proposes
//       an asynchronous operations window of N; DIMSE_USER=NAME:PASSWORD
//       user identity (username and passcode).
'use strict';
const fs = require('fs');
const path = require('path');
const dimse = require('dcmjs-dimse');

const { Client, Server, Scp, Dataset } = dimse;
// the library's own log only when something went wrong; ours says the rest
dimse.log.setLevel(process.env.DIMSE_LOG || 'warn');
const R = dimse.requests;
const P = dimse.responses;
const { Status, PresentationContextResult, SopClass, StorageClass, TransferSyntax, UserIdentityType } =
  dimse.constants;

const COMMITMENT = '1.2.840.10008.1.20.1';
const COMMITMENT_INSTANCE = '1.2.840.10008.1.20.1.1';
const MPPS = '1.2.840.10008.3.1.2.3.3';
const WORKLIST = '1.2.840.10008.5.1.4.31';
const SUPPORTED = new Set([SopClass.Verification, WORKLIST, MPPS, COMMITMENT,
  ...Object.values(StorageClass)]);
const SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

function log(...a) { console.log(new Date().toISOString(), ...a); }

function writeJson(file, obj) { fs.writeFileSync(file, JSON.stringify(obj, null, 1)); }

function reportRequest(txUid, refs) {
  const req = new R.NEventReportRequest(COMMITMENT, COMMITMENT_INSTANCE, 1);
  req.setDataset(new Dataset({ TransactionUID: txUid, ReferencedSOPSequence: refs }));
  return req;
}

function scp(port, aet, out, report) {
  fs.mkdirSync(out, { recursive: true });
  class TestScp extends Scp {
    associationRequested(association) {
      this.association = association;
      if (association.getCalledAeTitle() !== aet) {
        this.sendAssociationReject(1, 1, 7);
        return;
      }
      association.getPresentationContexts().forEach(({ context }) => {
        // explicit VR first, so an OB keeps its VR in the file written
        const syntax = SYNTAXES.find((ts) => context.getTransferSyntaxUids().includes(ts));
        if (!SUPPORTED.has(context.getAbstractSyntaxUid())) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        } else if (!syntax) {
          context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        } else {
          context.setResult(PresentationContextResult.Accept, syntax);
        }
      });
      this.sendAssociationAccept();
    }

    associationReleaseRequested() { this.sendAssociationReleaseResponse(); }

    cEchoRequest(request, callback) {
      const response = P.CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    cStoreRequest(request, callback) {
      const ds = request.getDataset();
      const uid = ds.getElement('SOPInstanceUID');
      ds.toFile(path.join(out, uid + '.dcm'));
      log('stored', uid);
      const response = P.CStoreResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    // As a dcmjs-dimse RIS does it: fromRequest keeps the class's default
    // Affected SOP Class UID, Study Root FIND, on the worklist's context.
    cFindRequest(request, callback) {
      const item = P.CFindResponse.fromRequest(request);
      item.setDataset(new Dataset({
        PatientID: 'WL0001', PatientName: 'Worklist^Patient', AccessionNumber: 'ACC0001',
        ScheduledProcedureStepSequence: [{ Modality: 'NM', ScheduledStationAETitle: 'SYMBIA',
          ScheduledProcedureStepID: 'SPS0001' }],
      }));
      item.setStatus(Status.Pending);
      const done = P.CFindResponse.fromRequest(request);
      done.setStatus(Status.Success);
      log('worklist query from', this.association.getCallingAeTitle());
      callback([item, done]);
    }

    nCreateRequest(request, callback) {
      const uid = request.getAffectedSopInstanceUid();
      writeJson(path.join(out, 'mpps-' + uid + '.json'), { created: request.getDataset().getElements() });
      const response = P.NCreateResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    nSetRequest(request, callback) {
      const uid = request.getRequestedSopInstanceUid();
      const file = path.join(out, 'mpps-' + uid + '.json');
      const rec = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file)) : {};
      rec.set = request.getDataset().getElements();
      writeJson(file, rec);
      const response = P.NSetResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    nActionRequest(request, callback) {
      const ds = request.getDataset().getElements();
      const response = P.NActionResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
      const event = reportRequest(ds.TransactionUID, ds.ReferencedSOPSequence);
      if (report && report.how === 'same') {
        setTimeout(() => this.sendRequests(event), 100);
      } else if (report) {
        const client = new Client();
        client.addRequest(event);
        client.on('networkError', (e) => log('report: network error', e.message));
        client.send(report.host, report.port, aet, report.aet, { associationLingerTimeout: 0 });
      }
    }

    nEventReportRequest(request, callback) {
      const ds = request.getDataset().getElements();
      writeJson(path.join(out, 'report-' + ds.TransactionUID + '.json'), ds);
      log('storage commitment report', ds.TransactionUID);
      const response = P.NEventReportResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }
  }
  const server = new Server(TestScp);
  server.on('networkError', (e) => log('network error', e.message));
  server.listen(port);
  log('listening on', port, 'as', aet);
}

function run(host, port, calling, called, requests, opts, onClient) {
  const client = new Client();
  let failed = 0;
  let answered = 0;
  requests.forEach((req) => {
    req.on('response', (res) => {
      const s = res.getStatus();
      if (s !== Status.Success && s !== Status.Pending) failed++;
      if (s !== Status.Pending) answered++;
      if (s === Status.Pending && res.hasDataset()) console.log(res.getDataset().getElement('PatientID'));
    });
    client.addRequest(req);
  });
  client.on('associationRejected', () => { failed++; });
  client.on('networkError', (e) => { log('network error', e.message); failed++; });
  if (onClient) onClient(client);
  client.on('closed', () => {
    const ok = !failed && answered === requests.length && (!opts.mustReport || opts.reported());
    process.exit(ok ? 0 : 1);
  });
  const sendOpts = { connectTimeout: 10000, associationTimeout: 10000, pduTimeout: 10000,
    associationLingerTimeout: opts.linger || 0 };
  if (process.env.DIMSE_ASYNC) {
    const n = Number(process.env.DIMSE_ASYNC);
    sendOpts.asyncOps = { maxAsyncOpsInvoked: n, maxAsyncOpsPerformed: n };
  }
  if (process.env.DIMSE_USER) {
    const [name, password] = process.env.DIMSE_USER.split(':');
    sendOpts.userIdentity = { type: UserIdentityType.UsernameAndPasscode, primaryField: name,
      secondaryField: password };
  }
  client.send(host, port, calling, called, sendOpts);
}

function main(argv) {
  if (argv[0] === 'scp') {
    const [, port, aet, out, flag, how, rhost, rport, raet] = argv;
    scp(Number(port), aet, out, flag === '--report' ? { how, host: rhost, port: Number(rport), aet: raet } : null);
    return;
  }
  const [cmd, host, portText, calling, called, ...rest] = argv;
  const port = Number(portText);
  const reqs = [];
  const opts = {};
  let onClient = null;
  if (cmd === 'echo') {
    reqs.push(new R.CEchoRequest());
  } else if (cmd === 'store') {
    rest.forEach((f) => reqs.push(new R.CStoreRequest(f)));
  } else if (cmd === 'worklist') {
    reqs.push(R.CFindRequest.createWorklistFindRequest({ PatientID: '' }));
  } else if (cmd === 'mpps') {
    const uid = rest[0];
    const create = new R.NCreateRequest(MPPS, uid);
    create.setDataset(new Dataset({ PerformedProcedureStepStatus: 'IN PROGRESS', PerformedStationAETitle: calling,
      PerformedProcedureStepID: 'PPS0001' }));
    const set = new R.NSetRequest(MPPS, uid);
    set.setDataset(new Dataset({ PerformedProcedureStepStatus: 'COMPLETED' }));
    reqs.push(create, set);
  } else if (cmd === 'commit') {
    const same = rest[0] === '--same';
    const files = same ? rest.slice(1) : rest;
    const txUid = '1.2.826.0.1.3680043.9.7777.9.' + Date.now();
    const refs = files.map((f) => {
      const ds = Dataset.fromFile(f).getElements();
      return { ReferencedSOPClassUID: ds.SOPClassUID, ReferencedSOPInstanceUID: ds.SOPInstanceUID };
    });
    const action = new R.NActionRequest(COMMITMENT, COMMITMENT_INSTANCE, 1);
    action.setDataset(new Dataset({ TransactionUID: txUid, ReferencedSOPSequence: refs }));
    reqs.push(action);
    console.log(txUid);
    if (same) {
      let reported = false;
      opts.linger = 3000;
      opts.mustReport = true;
      opts.reported = () => reported;
      onClient = (client) => client.on('nEventReportRequest', (request, callback) => {
        reported = request.getDataset().getElement('TransactionUID') === txUid;
        log('storage commitment report on the same association', reported);
        const response = P.NEventReportResponse.fromRequest(request);
        response.setStatus(Status.Success);
        callback(response);
      });
    }
  } else {
    console.error('usage: see the head of dimse.js');
    process.exit(2);
  }
  run(host, port, calling, called, reqs, opts, onClient);
}

main(process.argv.slice(2));
