// Pulse-shaping filters for the fast modems.

/**
 * Root-raised-cosine impulse response at `t` symbol periods with roll-off `beta`, normalised to
 * unit energy over one symbol period (∫h² dt = 1), so a transmit and a receive filter together
 * form a raised-cosine (Nyquist) pulse of peak 1.
 */
export function rootRaisedCosine(t: number, beta: number): number {
  if (Math.abs(t) < 1e-9) return 1 - beta + (4 * beta) / Math.PI;
  const q = 4 * beta * t;
  if (Math.abs(Math.abs(q) - 1) < 1e-9) {
    const a = Math.PI / (4 * beta);
    return (beta / Math.SQRT2) * ((1 + 2 / Math.PI) * Math.sin(a) + (1 - 2 / Math.PI) * Math.cos(a));
  }
  const num = Math.sin(Math.PI * t * (1 - beta)) + q * Math.cos(Math.PI * t * (1 + beta));
  return num / (Math.PI * t * (1 - q * q));
}
