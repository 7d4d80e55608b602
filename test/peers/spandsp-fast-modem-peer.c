/*
 * Judge for faxgate's own fast fax modems (V.27 ter, V.29, V.17): spandsp's modems on raw
 * 8 kHz 16-bit little-endian audio, plus a test channel (G.711 through spandsp's companders,
 * white noise, sample-clock offset, carrier offset, leading silence).
 *
 *   spandsp-fast-modem-peer tx <v27ter|v29|v17> <rate> <nbits> [trail_ones [tep|notep [short]]]  > audio.raw
 *       transmits <nbits> of the PRBS below, then <trail_ones> ones (default 64), then stops;
 *       "tep" sends the talker-echo protection tone before the training; "short" (V.17) first
 *       sends 1500 zeros with the long training (a TCF), 75 ms of silence, then the data with
 *       the short training.
 *   spandsp-fast-modem-peer rx <v27ter|v29|v17> <rate> [short]  < audio.raw
 *       prints the received bits as one line of '0'/'1' on stdout, status events on stderr;
 *       "short" (V.17): after the first carrier ends, the receiver restarts expecting the short
 *       training sequence, as a T.30 receiver does for the image after a long-trained TCF.
 *   spandsp-fast-modem-peer channel [--law ulaw|alaw] [--snr dB] [--ppm x] [--freq Hz]
 *       [--silence ms] [--seed n] [--line 1]  < in.raw > out.raw
 *       --line 1 band-limits like a telephone line: 2nd-order Butterworth high-pass at 300 Hz
 *       and low-pass at 3400 Hz (their phase distortion near the band edges included).
 *   spandsp-fast-modem-peer cpu <modem> <rate> <seconds>
 *       prints "tx_ms_per_audio_s rx_ms_per_audio_s" for spandsp's own modems.
 *
 * The data pattern is PRBS15 (x^15 + x^14 + 1, O.150), register seeded with 1, the output
 * bit being the new feedback bit; faxgate's tests generate the same sequence.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
#include <spandsp.h>

typedef struct { unsigned reg; long left; long trail; } source_t;

static int prbs_bit(unsigned *reg)
{
    int bit = ((*reg >> 14) ^ (*reg >> 13)) & 1;
    *reg = ((*reg << 1) | bit) & 0x7FFF;
    return bit;
}

static int get_bit(void *user)
{
    source_t *s = user;
    if (s->left > 0) { s->left--; return prbs_bit(&s->reg); }
    if (s->trail > 0) { s->trail--; return 1; }
    return SIG_STATUS_END_OF_DATA;
}

/* A TCF: zeros, as many as the counter says. */
static int zero_bit(void *user)
{
    long *left = user;
    if (*left > 0) { (*left)--; return 0; }
    return SIG_STATUS_END_OF_DATA;
}

static const char *status_name(int st)
{
    switch (st) {
    case SIG_STATUS_CARRIER_DOWN: return "carrier-down";
    case SIG_STATUS_CARRIER_UP: return "carrier-up";
    case SIG_STATUS_TRAINING_IN_PROGRESS: return "training-in-progress";
    case SIG_STATUS_TRAINING_SUCCEEDED: return "training-succeeded";
    case SIG_STATUS_TRAINING_FAILED: return "training-failed";
    case SIG_STATUS_END_OF_DATA: return "end-of-data";
    case SIG_STATUS_SHUTDOWN_COMPLETE: return "shutdown-complete";
    default: return "other";
    }
}

static long bits_out = 0;
/* V.17 short-train reception: the receiver to restart on the first carrier-down, and its rate. */
static v17_rx_state_t *short_after = NULL;
static int short_rate = 0;
static int short_pending = 0;
static void put_bit(void *user, int bit)
{
    (void) user;
    if (bit == SIG_STATUS_CARRIER_DOWN && short_after) short_pending = 1;
    if (bit < 0) { fprintf(stderr, "status %s at bit %ld\n", status_name(bit), bits_out); return; }
    putchar(bit ? '1' : '0');
    bits_out++;
}

static void status_handler(void *user, int status)
{
    (void) user;
    if (status == SIG_STATUS_CARRIER_DOWN && short_after) short_pending = 1;
    fprintf(stderr, "status %s at bit %ld\n", status_name(status), bits_out);
}

typedef struct {
    int kind; /* 0 v27ter, 1 v29, 2 v17 */
    void *tx, *rx;
} modem_t;

static int kind_of(const char *name)
{
    if (!strcmp(name, "v27ter")) return 0;
    if (!strcmp(name, "v29")) return 1;
    if (!strcmp(name, "v17")) return 2;
    fprintf(stderr, "unknown modem %s\n", name);
    exit(2);
}

static void *tx_init(int kind, int rate, int tep, source_t *src)
{
    switch (kind) {
    case 0: return v27ter_tx_init(NULL, rate, tep, get_bit, src);
    case 1: return v29_tx_init(NULL, rate, tep, get_bit, src);
    default: return v17_tx_init(NULL, rate, tep, get_bit, src);
    }
}

static int tx_run(int kind, void *s, int16_t *amp, int n)
{
    switch (kind) {
    case 0: return v27ter_tx(s, amp, n);
    case 1: return v29_tx(s, amp, n);
    default: return v17_tx(s, amp, n);
    }
}

static void *rx_init(int kind, int rate, void (*pb)(void *, int))
{
    void *s;
    switch (kind) {
    case 0:
        s = v27ter_rx_init(NULL, rate, pb, NULL);
        if (pb == put_bit) v27ter_rx_set_modem_status_handler(s, status_handler, NULL);
        return s;
    case 1:
        s = v29_rx_init(NULL, rate, pb, NULL);
        if (pb == put_bit) v29_rx_set_modem_status_handler(s, status_handler, NULL);
        return s;
    default:
        s = v17_rx_init(NULL, rate, pb, NULL);
        if (pb == put_bit) v17_rx_set_modem_status_handler(s, status_handler, NULL);
        return s;
    }
}

static void rx_run(int kind, void *s, const int16_t *amp, int n)
{
    switch (kind) {
    case 0: v27ter_rx(s, amp, n); break;
    case 1: v29_rx(s, amp, n); break;
    default: v17_rx(s, amp, n); break;
    }
}

static int cmd_tx(int argc, char **argv)
{
    if (argc < 5) return 2;
    int kind = kind_of(argv[2]);
    source_t src = { 1, atol(argv[4]), argc > 5 ? atol(argv[5]) : 64 };
    int tep = argc > 6 && !strcmp(argv[6], "tep");
    int16_t amp[160];
    if (kind == 2 && argc > 7 && !strcmp(argv[7], "short")) {
        long tcf = 1500;
        v17_tx_state_t *t = v17_tx_init(NULL, atoi(argv[3]), tep, zero_bit, &tcf);
        for (;;) {
            int n = v17_tx(t, amp, 160);
            if (n > 0) fwrite(amp, sizeof(int16_t), n, stdout);
            if (n < 160) break;
        }
        memset(amp, 0, sizeof(amp));
        for (int i = 0; i < 600 / 160; i++) fwrite(amp, sizeof(int16_t), 160, stdout);
        fwrite(amp, sizeof(int16_t), 600 % 160, stdout);
        v17_tx_restart(t, atoi(argv[3]), FALSE, TRUE);
        v17_tx_set_get_bit(t, get_bit, &src);
        for (;;) {
            int n = v17_tx(t, amp, 160);
            if (n > 0) fwrite(amp, sizeof(int16_t), n, stdout);
            if (n < 160) break;
        }
        return 0;
    }
    void *s = tx_init(kind, atoi(argv[3]), tep, &src);
    for (;;) {
        int n = tx_run(kind, s, amp, 160);
        if (n > 0) fwrite(amp, sizeof(int16_t), n, stdout);
        if (n < 160) break;
    }
    return 0;
}

static int cmd_rx(int argc, char **argv)
{
    if (argc < 4) return 2;
    int kind = kind_of(argv[2]);
    void *s = rx_init(kind, atoi(argv[3]), put_bit);
    if (kind == 2 && argc > 4 && !strcmp(argv[4], "short")) { short_after = s; short_rate = atoi(argv[3]); }
    int16_t amp[160];
    size_t n;
    while ((n = fread(amp, sizeof(int16_t), 160, stdin)) > 0) {
        rx_run(kind, s, amp, (int) n);
        if (short_pending) {
            /* Outside the callback: restarting from inside it would reset state the caller still uses. */
            v17_rx_restart(short_after, short_rate, TRUE);
            fprintf(stderr, "restarted for short train\n");
            short_after = NULL;
            short_pending = 0;
        }
    }
    memset(amp, 0, sizeof(amp));
    for (int i = 0; i < 10; i++) rx_run(kind, s, amp, 160);
    putchar('\n');
    return 0;
}

/* ---- test channel ---- */

static double gauss(void)
{
    double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = (rand() + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int cmd_channel(int argc, char **argv)
{
    const char *law = NULL;
    double snr = 1e9, ppm = 0, freq = 0, silence_ms = 0;
    int line = 0;
    unsigned seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--law")) law = argv[i + 1];
        else if (!strcmp(argv[i], "--snr")) snr = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--ppm")) ppm = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--freq")) freq = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--silence")) silence_ms = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = (unsigned) atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--line")) line = atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    srand(seed);
    size_t cap = 1 << 16, len = 0, got;
    int16_t *in = malloc(cap * sizeof(int16_t));
    while ((got = fread(in + len, sizeof(int16_t), cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) { cap *= 2; in = realloc(in, cap * sizeof(int16_t)); }
    }
    size_t lead = (size_t) (silence_ms * 8.0);
    size_t total = lead + len + 64;
    double *x = calloc(total, sizeof(double));
    for (size_t i = 0; i < len; i++) x[lead + i] = in[i];

    /* Telephone line band: biquads from the bilinear transform of 2nd-order Butterworth sections. */
    if (line) {
        const double fc[2] = { 300.0, 3400.0 };
        for (int f = 0; f < 2; f++) {
            double k = tan(M_PI * fc[f] / 8000.0), q = M_SQRT2, norm = 1.0 / (1.0 + k * q + k * k);
            double b0, b1, b2, a1 = 2.0 * (k * k - 1.0) * norm, a2 = (1.0 - k * q + k * k) * norm;
            if (f == 0) { b0 = norm; b1 = -2.0 * norm; b2 = norm; }
            else { b0 = k * k * norm; b1 = 2.0 * b0; b2 = b0; }
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (size_t n = 0; n < total; n++) {
                double y = b0 * x[n] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
                x2 = x1; x1 = x[n]; y2 = y1; y1 = y;
                x[n] = y;
            }
        }
    }
    /* Carrier offset: shift the analytic signal (windowed FIR Hilbert transformer, 127 taps). */
    if (freq != 0) {
        enum { H = 127, C = 63 };
        double h[H];
        for (int k = 0; k < H; k++) {
            int m = k - C;
            double w = 0.54 - 0.46 * cos(2.0 * M_PI * k / (H - 1));
            h[k] = (m % 2 == 0) ? 0.0 : w * 2.0 / (M_PI * m);
        }
        double *y = calloc(total, sizeof(double));
        for (size_t n = 0; n < total; n++) {
            double q = 0;
            for (int k = 0; k < H; k++) {
                long idx = (long) n - (k - C);
                if (idx >= 0 && idx < (long) total) q += h[k] * x[idx];
            }
            double ph = 2.0 * M_PI * freq * n / 8000.0;
            y[n] = x[n] * cos(ph) - q * sin(ph);
        }
        free(x);
        x = y;
    }
    /* Sample-clock offset: the far end's clock runs ppm fast; windowed-sinc interpolation. */
    size_t out_len = total;
    if (ppm != 0) {
        double step = 1.0 + ppm * 1e-6;
        out_len = (size_t) ((double) total / step);
        double *y = calloc(out_len, sizeof(double));
        for (size_t n = 0; n < out_len; n++) {
            double t = n * step;
            long c = (long) floor(t);
            double acc = 0;
            for (long m = c - 15; m <= c + 16; m++) {
                if (m < 0 || m >= (long) total) continue;
                double d = t - m;
                double sinc = fabs(d) < 1e-12 ? 1.0 : sin(M_PI * d) / (M_PI * d);
                double w = 0.5 + 0.5 * cos(M_PI * d / 16.5);
                acc += x[m] * sinc * w;
            }
            y[n] = acc;
        }
        free(x);
        x = y;
    }
    if (snr < 1e8) {
        double p = 0;
        size_t cnt = 0;
        for (size_t n = 0; n < out_len; n++) if (fabs(x[n]) > 0) { p += x[n] * x[n]; cnt++; }
        p = cnt ? p / cnt : 0;
        double sigma = sqrt(p / pow(10.0, snr / 10.0));
        for (size_t n = 0; n < out_len; n++) x[n] += sigma * gauss();
    }
    int16_t *out = malloc(out_len * sizeof(int16_t));
    for (size_t n = 0; n < out_len; n++) {
        double v = x[n];
        int s = v > 32767 ? 32767 : v < -32768 ? -32768 : (int) lrint(v);
        if (law && !strcmp(law, "ulaw")) s = ulaw_to_linear(linear_to_ulaw(s));
        else if (law && !strcmp(law, "alaw")) s = alaw_to_linear(linear_to_alaw(s));
        out[n] = (int16_t) s;
    }
    fwrite(out, sizeof(int16_t), out_len, stdout);
    return 0;
}

static void null_put_bit(void *user, int bit) { (void) user; (void) bit; }

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_cpu(int argc, char **argv)
{
    if (argc < 5) return 2;
    int kind = kind_of(argv[2]);
    int rate = atoi(argv[3]);
    double seconds = atof(argv[4]);
    long samples = (long) (seconds * 8000);
    int16_t *audio = malloc(samples * sizeof(int16_t));
    source_t src = { 1, samples, 0 };
    void *tx = tx_init(kind, rate, FALSE, &src);
    double t0 = cpu_ms();
    long n = 0;
    while (n < samples) {
        int k = tx_run(kind, tx, audio + n, (int) (samples - n < 160 ? samples - n : 160));
        if (k <= 0) break;
        n += k;
    }
    double t1 = cpu_ms();
    void *rx = rx_init(kind, rate, null_put_bit);
    for (long i = 0; i + 160 <= n; i += 160) rx_run(kind, rx, audio + i, 160);
    double t2 = cpu_ms();
    double audio_s = n / 8000.0;
    printf("%.4f %.4f\n", (t1 - t0) / audio_s, (t2 - t1) / audio_s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "tx")) return cmd_tx(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "rx")) return cmd_rx(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "channel")) return cmd_channel(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "cpu")) return cmd_cpu(argc, argv);
    fprintf(stderr, "usage: %s tx|rx|channel|cpu ...\n", argv[0]);
    return 2;
}
