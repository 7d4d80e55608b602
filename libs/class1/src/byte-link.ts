/**
 * The byte stream a modem sits behind: a serial port or pty in production, opened by
 * `openSerialLink` (serial-link.ts). The AT channel only needs these three operations.
 */
export interface ByteLink {
  write(data: Uint8Array): void;
  /** Called with every chunk the modem sends, in order. */
  onData(listener: (data: Uint8Array) => void): void;
  /** Called once when the device goes away (e.g. the pty's master closed) or is closed. */
  onClose(listener: (err?: Error) => void): void;
  close(): Promise<void>;
}
