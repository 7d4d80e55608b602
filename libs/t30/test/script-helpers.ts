// Helpers for the scripted frame-exchange tests of the engine. They live beside t30's tests, not
// in the testkit: they are built from t30's own frame code, and a testkit importing @faxgate/t30
// would make a dependency cycle once t30's tests use the testkit (as fax-image's do).
import { buildDis, type Capabilities } from '../src/dis.ts';
import { FCF, fcfBase, fcfName } from '../src/fcf.ts';
import { buildFrame, parseFrame } from '../src/hdlc-frame.ts';
import { encodeIdent } from '../src/ident.ts';
import type { PageRequest, SendDocument, T30Action, T30Event } from '../src/types.ts';

export interface SentFrame {
  name: string;
  fcf: number;
  fif: Uint8Array;
  fast: boolean;
  x: number;
}

/** Every frame the actions send, in order, named. */
export function sentFrames(actions: T30Action[]): SentFrame[] {
  const out: SentFrame[] = [];
  for (const a of actions) {
    if (a.type !== 'send-hdlc') continue;
    for (const raw of a.frames) {
      const f = parseFrame(raw);
      if (!f) throw new Error('engine built an invalid frame');
      out.push({ name: fcfName(f.fcf), fcf: fcfBase(f.fcf), fif: f.fif, fast: a.modulation !== undefined, x: f.fcf & 1 });
    }
  }
  return out;
}

export function names(actions: T30Action[]): string[] {
  return sentFrames(actions).map((f) => f.name);
}

/** A V.21 frame event as the driver would deliver it. */
export function rx(fcf: number, fif: Uint8Array | number[] = [], final = true, x = 0): T30Event {
  return { type: 'hdlc', frame: buildFrame(fcf | x, fif, final), ok: true, fast: false };
}

export function fast(fcf: number, fif: Uint8Array | number[], ok = true): T30Event {
  return { type: 'hdlc', frame: buildFrame(fcf, fif, false), ok, fast: true };
}

export const FULL_CAPS: Capabilities = {
  readyToReceive: true, modems: ['v27ter', 'v29', 'v17'], resolutions: ['standard', 'fine'],
  encodings: ['mh', 'mr', 'mmr'], widths: ['A4'], lengths: ['A4', 'B4', 'unlimited'], minScanLineMs: 0,
  ecm: true, prefers64: false, t38: true,
};

/** CSI then DIS, as a called station opens phase B. */
export function disEvents(caps: Capabilities = FULL_CAPS, id = '+49 30 1234'): T30Event[] {
  return [rx(FCF.CSI, encodeIdent(id), false), rx(FCF.DIS, buildDis(caps))];
}

/** A document whose page i is `size` octets of value i+1; records what was asked. */
export function testDocument(pages: number, size: number): SendDocument & { requests: PageRequest[] } {
  const requests: PageRequest[] = [];
  return {
    pageCount: pages,
    resolution: 'fine',
    requests,
    encodePage(req) {
      requests.push(req);
      return new Uint8Array(size).fill(req.index + 1);
    },
  };
}

/** Feeds events in order, collecting every action. */
export function feedAll(engine: { handle(e: T30Event): T30Action[] }, events: T30Event[]): T30Action[] {
  return events.flatMap((e) => engine.handle(e));
}

/**
 * Wraps an engine so each transmission it asks for is reported done at once, as if the
 * line took no time: for scripts that only care about the order of frames.
 */
export function instantLine<E extends { handle(e: T30Event): T30Action[] }>(engine: E): E {
  const handle = engine.handle.bind(engine);
  engine.handle = (e: T30Event) => {
    const actions = handle(e);
    if (actions.some((a) => a.type.startsWith('send-'))) actions.push(...handle({ type: 'sent' }));
    return actions;
  };
  return engine;
}
