import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJobDescription } from './job-description.ts';
import { isFinalJobState, jobStateFromSymbol } from './job-state.ts';

// Lines as hfaxd 6.0.7 wrote them to doneq/q1 after a 2-page job between two iaxmodems.
const DONE = [
  'tts:1795958878', 'killtime:1795969584', 'state:7', 'npages:2', 'totpages:2', 'totdials:1', 'maxdials:12',
  'tottries:1', 'maxtries:3', 'number:5550002', 'jobid:1', 'jobtag:fg-1', 'owner:faxgate', 'groupid:1',
  'signalrate:14400 bit/s', 'dataformat:2-D MMR', 'commid:000000001', 'csi:FAXGATE MODEM B',
  'status:', 'statuscode:0', 'notify:none', '!tiff:0::docq/doc1.tif',
].join('\n');

test('a done job description gives pages, tries and the remote CSI', () => {
  const j = parseJobDescription(DONE);
  assert.equal(j.jobId, 1);
  assert.equal(j.state, 'done');
  assert.equal(j.pagesSent, 2);
  assert.equal(j.totalPages, 2);
  assert.equal(j.tries, 1);
  assert.equal(j.remoteCsi, 'FAXGATE MODEM B');
  assert.equal(j.tag, 'fg-1');
  assert.equal(j.signalRate, '14400 bit/s');
  assert.equal(j.pagesSkipped, 0);
});

test('pages left out by a page range are counted apart', () => {
  // doneq/q11 of a 2-page job sent with PAGERANGE 2-: one page went over the line.
  const j = parseJobDescription('jobid:11\nstate:7\nnpages:2\ntotpages:2\nnskip:1\nskippages:1\npagerange:2-\n');
  assert.equal(j.pagesSent - j.pagesSkipped, 1);
});

test('a status text with colons is kept whole', () => {
  const j = parseJobDescription('jobid:4\nstate:8\nstatus:No carrier detected: giving up\n');
  assert.equal(j.state, 'failed');
  assert.equal(j.statusText, 'No carrier detected: giving up');
});

test('something else is refused', () => {
  assert.throws(() => parseJobDescription('<html>'), SyntaxError);
});

test('JOBFMT symbols map to the same states', () => {
  assert.equal(jobStateFromSymbol('D'), 'done');
  assert.equal(jobStateFromSymbol('T'), 'suspended');
  assert.equal(jobStateFromSymbol('x'), 'unknown');
  assert.equal(isFinalJobState('failed'), true);
  assert.equal(isFinalJobState('sleeping'), false);
});
