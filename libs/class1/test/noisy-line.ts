import { createSocket, type Socket } from 'node:dgram';

// A telephone line with noise on it between two iaxmodems: a UDP relay on 127.0.0.1 that passes
// IAX2 (RFC 5456) frames between the modems and adds white Gaussian noise to the audio they
// carry. iaxmodem sends `codec slinear` audio as 16-bit big-endian samples (network order, as
// Asterisk's chan_iax2 does; read little-endian the tones measured as noise) in voice full frames (frame type 2, 12-octet header) and mini frames (4-octet header,
// first bit clear, not the all-zero meta frame). The modems themselves are untouched: what
// changes is the line, as on a noisy analogue line the faster modulations fail first (V.17 needs
// a better signal-to-noise ratio than V.29, V.29 than V.27ter, V.21 the least).

export interface NoisyLineOptions {
  /** RMS of the added noise, in 16-bit sample units (a fax modem sends at about 2000–4000). */
  noiseRms: number;
  /** Seed of the noise generator, so every run adds the same noise sequence. */
  seed?: number;
}

export interface NoisyLine {
  /** The port modem A must call (its `server`): the relay's side facing A. */
  portForA: number;
  portForB: number;
  /** Mean RMS of the voice frames relayed so far (the signal, before noise), for the evidence. */
  signalRms(): number;
  /**
   * Changes the noise from now on (0: a clean line): a burst of noise is on, then off. With
   * `toward`, only the audio heading to that modem gets it: a burst at modem B's receiver that
   * modem A does not hear, so A's +FRS silence wait before it transmits is not held up by it.
   */
  setNoise(rms: number, toward?: 'a' | 'b'): void;
  stop(): Promise<void>;
}

/** mulberry32: a small seeded generator; the noise only has to be reproducible, not strong. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where the audio of an IAX2 frame starts, or -1 when the frame carries none. */
function audioOffset(frame: Buffer): number {
  if (frame.length < 4) return -1;
  if (frame[0] & 0x80) return frame.length > 12 && frame[10] === 2 ? 12 : -1; // full frame, type voice
  if (frame.readUInt16BE(0) === 0) return -1; // meta frame (trunking, video)
  return 4; // mini frame: always voice
}

/**
 * Starts the relay between modem A (IAX2 on `portA`) and modem B (`portB`); each modem's
 * config names the relay's port facing it as its `server`.
 */
export async function startNoisyLine(portA: number, portB: number, o: NoisyLineOptions): Promise<NoisyLine> {
  const rnd = random(o.seed ?? 0x5eed);
  let spare: number | undefined;
  const gauss = () => {
    // Box–Muller gives two normal deviates per pair of uniforms.
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rnd(), 1e-12);
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  let noiseRms = o.noiseRms;
  let noiseToward: 'a' | 'b' | undefined;
  let energy = 0;
  let samples = 0;
  const addNoise = (frame: Buffer, to: 'a' | 'b'): Buffer => {
    const at = audioOffset(frame);
    if (at < 0) return frame;
    const out = Buffer.from(frame);
    for (let i = at; i + 1 < out.length; i += 2) {
      const s = out.readInt16BE(i);
      energy += s * s;
      samples++;
      if (noiseRms > 0 && (noiseToward === undefined || noiseToward === to)) out.writeInt16BE(Math.max(-32768, Math.min(32767, Math.round(s + gauss() * noiseRms))), i);
    }
    return out;
  };
  const bind = (s: Socket) => new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s.address().port));
  });
  const facingA = createSocket('udp4');
  const facingB = createSocket('udp4');
  const portForA = await bind(facingA);
  const portForB = await bind(facingB);
  facingA.on('message', (m) => facingB.send(addNoise(m, 'b'), portB, '127.0.0.1'));
  facingB.on('message', (m) => facingA.send(addNoise(m, 'a'), portA, '127.0.0.1'));
  return {
    portForA,
    portForB,
    signalRms: () => (samples ? Math.sqrt(energy / samples) : 0),
    setNoise: (rms, toward) => {
      noiseRms = rms;
      noiseToward = toward;
    },
    stop: async () => {
      await Promise.all([facingA, facingB].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
