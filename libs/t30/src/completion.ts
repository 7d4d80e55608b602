// Outcomes of a call, each with the sentence shown to people (CLI, result mail, logs).

export const COMPLETION = {
  'ok': 'Fax completed',
  'no-dis': 'No fax answer: no DIS from the remote station before T1 expired',
  'no-dcs': 'No fax caller: no DCS from the remote station before T1 expired',
  'dcs-no-response': 'No response to DCS after 3 tries',
  'all-rates-refused': 'Remote refused all rates (FTT down to 2400 bit/s)',
  'incompatible': 'Remote station cannot receive this document',
  'not-ready': 'Remote station is not ready to receive',
  'post-page-no-response': 'No response to the post-page command after 3 tries',
  'page-rejected': 'Remote station rejected the page (RTN) 3 times',
  'ecm-ppr-limit': 'ECM page failed after 4 PPR',
  'ecm-rnr-timeout': 'Remote station stayed not ready (RNR) past T5',
  'remote-dcn': 'Remote station disconnected (DCN) before the end of the fax',
  'no-page': 'Training succeeded but no page data arrived before T2 expired',
  'no-post-page': 'Page data ended but no post-page command arrived before T2 expired',
  'training-failed': 'Caller gave up after failed training',
  'no-response': 'Remote station stopped responding before T2 expired',
  'aborted': 'Call aborted locally',
} as const;

export type CompletionCode = keyof typeof COMPLETION;
