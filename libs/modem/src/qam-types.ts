// The shape every faxgate software modem shares, so one audio terminal can drive them all.

/** A transmitter's data: the next bit (0 or 1), or −1 when the data has ended. */
export type GetBit = () => number;

/** 8 kHz 16-bit linear audio out; fewer samples than asked means the transmission ended. */
export interface ModemTransmitter {
  generate(out: Int16Array): number;
}

/** Signal quality for TCF judgement: received power and the equaliser's error. */
export interface SignalQuality {
  /** Received signal power, dBm0. */
  powerDbm0: number;
  /** Mean constellation energy over mean squared equaliser error, dB. */
  snrDb: number;
  /** Mean squared equaliser error relative to the mean constellation energy. */
  mse: number;
}

export interface ModemReceiverEvents {
  /** The modem's signal was recognised (up) or has ended (down). */
  carrier?(up: boolean): void;
  /** The training sequence was received well enough to decode data (ok) or not. */
  training?(ok: boolean, quality: SignalQuality): void;
  /** One received, descrambled data bit. */
  bit?(bit: number): void;
}

export interface ModemReceiver {
  receive(samples: Int16Array): void;
  quality(): SignalQuality;
}
