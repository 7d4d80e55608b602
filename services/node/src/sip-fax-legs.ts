// The fax of one SIP call on whichever media the call settled on: T.38 over UDPTL (the T.38
// terminal) or G.711 over RTP (faxgate's own modems in the audio fax terminal, on an RTP line
// paced from a monotonic clock). A call that faxes over audio and is then switched to T.38 by
// the far end's re-INVITE (T.38 Annex D.2.1) drops its audio leg and starts T.30 afresh on T.38.
import type { Socket } from 'node:dgram';
import { COMPLETION, type T30Action, type T30Engine, type T30Result } from '@faxgate/t30';
import { T38Terminal } from '@faxgate/t38';
import { AudioFaxTerminal, RtpAudioLine } from '@faxgate/modem';
import type { RemoteAudio } from '@faxgate/sip';
import type { CallMedia } from './sip-media.ts';

export type LegKind = 't38' | 'audio';

/**
 * A call's T.30 engine that can be told the call is gone (BYE, or the switch to T.38): its next
 * event then ends T.30 as 'aborted', so the terminal stops its timers at once instead of
 * running them out.
 */
export function abortable(engine: T30Engine): { engine: T30Engine; abort: () => void } {
  let aborted = false;
  let ended = false;
  return {
    engine: {
      handle(event) {
        if (!aborted) return engine.handle(event);
        if (ended) return [];
        ended = true;
        return [{ type: 'call-ended', result: { code: 'aborted', sentence: COMPLETION.aborted, success: false, pages: [], remoteId: '' } }];
      },
      get finished() {
        return aborted || engine.finished;
      },
    },
    abort: () => {
      aborted = true;
    },
  };
}

export interface FaxLegsOptions {
  media: CallMedia;
  /** The calling station sends CNG, the called one CED (T.30 §5.2). */
  calling: boolean;
  /** A fresh T.30 engine for a leg: the audio terminal has only V.27 ter and V.29. */
  makeEngine: (kind: LegKind) => T30Engine;
  /** Earlier IFPs repeated in each UDPTL datagram (T.38 §9.1). */
  redundancy: number;
  /** G.711 jitter buffer depth in 20 ms frames. */
  jitterFrames: number;
  /** Every T.30 action of the running leg (pages confirmed or received, the call's end). */
  onAction: (kind: LegKind, a: T30Action) => void;
  /** The running leg's T.30 ended and its last signal is out (a superseded leg never reports). */
  onDone: (kind: LegKind, r: T30Result) => void;
  log?: (line: string) => void;
}

/**
 * After its last signal, the audio line keeps sending silence this long before the call is
 * hung up: the far end's receiver is behind ours by its jitter buffer, and must still hear our
 * DCN end (T.30 §5.3.6.1.9: it then disconnects by itself).
 */
const AUDIO_HANGUP_FRAMES = 50;

export class FaxLegs {
  private readonly o: FaxLegsOptions;
  private leg: { kind: LegKind; abort: () => void } | undefined;
  private generation = 0;

  constructor(o: FaxLegsOptions) {
    this.o = o;
  }

  /** Which medium carries the fax, if one has started. */
  get kind(): LegKind | undefined {
    return this.leg?.kind;
  }

  /** Runs T.30 over the T.38 stream; a running audio leg is dropped (T.38 is preferred). */
  startT38(remote: { host: string; port: number }): void {
    if (this.leg?.kind === 't38') return;
    this.leg?.abort();
    const gen = ++this.generation;
    const e = abortable(this.o.makeEngine('t38'));
    const terminal = new T38Terminal({
      socket: this.o.media.udptl as unknown as Socket, peer: remote, calling: this.o.calling, redundancy: this.o.redundancy, engine: e.engine,
      ...(this.o.log ? { log: this.o.log } : {}),
      onAction: (a) => { if (gen === this.generation) this.o.onAction('t38', a); },
    });
    this.leg = { kind: 't38', abort: e.abort };
    void terminal.run().then((r) => {
      if (gen === this.generation) this.o.onDone('t38', r);
    });
  }

  /** Runs T.30 over the G.711 stream with faxgate's own modems (only if no leg runs yet). */
  startAudio(remote: RemoteAudio): void {
    if (this.leg) return;
    const gen = ++this.generation;
    const e = abortable(this.o.makeEngine('audio'));
    const terminal = new AudioFaxTerminal({
      engine: e.engine, calling: this.o.calling, ...(this.o.log ? { log: this.o.log } : {}),
      onAction: (a) => { if (gen === this.generation) this.o.onAction('audio', a); },
    });
    const line = new RtpAudioLine({
      socket: this.o.media.rtp as unknown as Socket, peer: { host: remote.host, port: remote.port }, law: remote.law, endpoint: terminal,
      delayFrames: this.o.jitterFrames, hangupFrames: AUDIO_HANGUP_FRAMES,
    });
    this.leg = {
      kind: 'audio',
      abort: () => {
        e.abort();
        line.stop();
      },
    };
    line.start();
    void line.done.then(() => {
      if (gen !== this.generation) return;
      // A line stopped before T.30 ended (the call hung up under it) ends as aborted.
      this.o.onDone('audio', terminal.result ?? { code: 'aborted', sentence: COMPLETION.aborted, success: false, pages: [], remoteId: '' });
    });
  }

  /** The call is gone: the running leg's T.30 ends as aborted, an audio line stops sending. */
  abort(): void {
    this.leg?.abort();
  }
}
