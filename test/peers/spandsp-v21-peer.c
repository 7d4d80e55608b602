/*
 * spandsp-v21-peer: spandsp's G.711, V.21 channel 2 FSK and HDLC as the independent judge of
 * faxgate's software modems (libs/modem). Audio is exchanged through files: raw 16-bit
 * little-endian linear samples at 8 kHz ("lin"), or one G.711 octet per sample ("ulaw",
 * "alaw", companded by spandsp's own G.711 code).
 *
 *   spandsp-v21-peer g711 OUT
 *       writes spandsp's tables: ulaw_to_linear[256], alaw_to_linear[256] (int16 LE), then
 *       linear_to_ulaw and linear_to_alaw for every 16-bit input 0..65535 (one octet each).
 *   spandsp-v21-peer rx IN lin|ulaw|alaw
 *       runs fsk_rx (V.21 ch 2, synchronous) into hdlc_rx (CRC-16) and prints one line per
 *       event: "FRAME OK|BAD <hex without FCS>", "CARRIER UP|DOWN", "FRAMING OK", "ABORT",
 *       then "END <good> <bad>".
 *   spandsp-v21-peer tx OUT lin|ulaw|alaw PREAMBLE_FLAGS HEX[,HEX...]
 *       hdlc_tx (CRC-16, PREAMBLE_FLAGS flag octets first) into fsk_tx (V.21 ch 2); writes the
 *       audio until the modem reports the end of data.
 *   spandsp-v21-peer bench SECONDS
 *       CPU time of fsk_tx and of fsk_rx + hdlc_rx for SECONDS of V.21 HDLC flags; prints
 *       "BENCH tx_ms_per_s <x> rx_ms_per_s <y>".
 * Exit status 0 on success, 2 for usage errors, 1 for other failures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

enum { LIN, ULAW, ALAW };

static int parse_format(const char *s)
{
    if (strcmp(s, "lin") == 0) return LIN;
    if (strcmp(s, "ulaw") == 0) return ULAW;
    if (strcmp(s, "alaw") == 0) return ALAW;
    fprintf(stderr, "unknown format %s\n", s);
    exit(2);
}

static int usage(void)
{
    fprintf(stderr, "usage: spandsp-v21-peer g711 OUT | rx IN FMT | tx OUT FMT PREAMBLE HEX,... | bench SECONDS\n");
    return 2;
}

static int cmd_g711(const char *out)
{
    FILE *f = fopen(out, "wb");
    int i;
    if (!f) { perror(out); return 1; }
    for (i = 0; i < 256; i++) { int16_t v = ulaw_to_linear((uint8_t) i); fputc(v & 0xFF, f); fputc((v >> 8) & 0xFF, f); }
    for (i = 0; i < 256; i++) { int16_t v = alaw_to_linear((uint8_t) i); fputc(v & 0xFF, f); fputc((v >> 8) & 0xFF, f); }
    for (i = 0; i < 65536; i++) fputc(linear_to_ulaw((int16_t) (uint16_t) i), f);
    for (i = 0; i < 65536; i++) fputc(linear_to_alaw((int16_t) (uint16_t) i), f);
    return fclose(f) == 0 ? 0 : 1;
}

static int good_frames = 0, bad_frames = 0;

static void rx_frame(void *user, const uint8_t *pkt, int len, int ok)
{
    int i;
    (void) user;
    if (len < 0) {
        switch (len) {
        case SIG_STATUS_CARRIER_UP: printf("CARRIER UP\n"); break;
        case SIG_STATUS_CARRIER_DOWN: printf("CARRIER DOWN\n"); break;
        case SIG_STATUS_FRAMING_OK: printf("FRAMING OK\n"); break;
        case SIG_STATUS_ABORT: printf("ABORT\n"); break;
        default: printf("STATUS %d\n", len); break;
        }
        return;
    }
    if (ok) good_frames++; else bad_frames++;
    printf("FRAME %s ", ok ? "OK" : "BAD");
    /* spandsp hands over the frame without its two FCS octets when ok. */
    for (i = 0; i < len; i++) printf("%02x", pkt[i]);
    printf("\n");
}

static int cmd_rx(const char *in, int fmt)
{
    FILE *f = fopen(in, "rb");
    fsk_rx_state_t *fsk;
    hdlc_rx_state_t *hdlc;
    int16_t amp[160];
    uint8_t raw[320];
    size_t n;
    if (!f) { perror(in); return 1; }
    hdlc = hdlc_rx_init(NULL, FALSE, TRUE, 5, rx_frame, NULL);
    fsk = fsk_rx_init(NULL, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC, (put_bit_func_t) hdlc_rx_put_bit, hdlc);
    for (;;) {
        size_t i;
        if (fmt == LIN) {
            n = fread(raw, 2, 160, f);
            for (i = 0; i < n; i++) amp[i] = (int16_t) (raw[2 * i] | (raw[2 * i + 1] << 8));
        } else {
            n = fread(raw, 1, 160, f);
            for (i = 0; i < n; i++) amp[i] = fmt == ULAW ? ulaw_to_linear(raw[i]) : alaw_to_linear(raw[i]);
        }
        if (n == 0) break;
        fsk_rx(fsk, amp, (int) n);
    }
    /* 100 ms of silence so that the end of the signal is seen as a carrier drop. */
    memset(amp, 0, sizeof(amp));
    for (n = 0; n < 5; n++) fsk_rx(fsk, amp, 160);
    fclose(f);
    printf("END %d %d\n", good_frames, bad_frames);
    fsk_rx_free(fsk);
    hdlc_rx_free(hdlc);
    return 0;
}

#define MAX_FRAMES 64
static uint8_t tx_frames[MAX_FRAMES][400];
static int tx_lens[MAX_FRAMES];
static int tx_count = 0, tx_next = 0;
static hdlc_tx_state_t *hdlc_tx;

static void tx_underflow(void *user)
{
    (void) user;
    if (tx_next < tx_count) {
        hdlc_tx_frame(hdlc_tx, tx_frames[tx_next], tx_lens[tx_next]);
        tx_next++;
    } else if (tx_next == tx_count) {
        hdlc_tx_frame(hdlc_tx, NULL, 0);
        tx_next++;
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int cmd_tx(const char *out, int fmt, int preamble, const char *hex)
{
    FILE *f = fopen(out, "wb");
    fsk_tx_state_t *fsk;
    int16_t amp[160];
    const char *p = hex;
    long total = 0;
    if (!f) { perror(out); return 1; }
    while (*p && tx_count < MAX_FRAMES) {
        int len = 0;
        while (*p && *p != ',') {
            int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
            if (hi < 0 || lo < 0 || len >= 400) { fprintf(stderr, "bad frame hex\n"); return 2; }
            tx_frames[tx_count][len++] = (uint8_t) (hi * 16 + lo);
            p += 2;
        }
        tx_lens[tx_count++] = len;
        if (*p == ',') p++;
    }
    hdlc_tx = hdlc_tx_init(NULL, FALSE, 1, FALSE, tx_underflow, NULL);
    hdlc_tx_flags(hdlc_tx, preamble);
    fsk = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], (get_bit_func_t) hdlc_tx_get_bit, hdlc_tx);
    /* Bounded: 60 s of audio is far more than any T.30 control message. */
    while (total < 8000L * 60) {
        int n = fsk_tx(fsk, amp, 160), i;
        for (i = 0; i < n; i++) {
            if (fmt == LIN) { fputc(amp[i] & 0xFF, f); fputc((amp[i] >> 8) & 0xFF, f); }
            else fputc(fmt == ULAW ? linear_to_ulaw(amp[i]) : linear_to_alaw(amp[i]), f);
        }
        total += n;
        if (n < 160) break;
    }
    fclose(f);
    printf("SAMPLES %ld\n", total);
    fsk_tx_free(fsk);
    hdlc_tx_free(hdlc_tx);
    return total < 8000L * 60 ? 0 : 1;
}

static int flag_bit(void *user)
{
    int *pos = (int *) user;
    int bit = (0x7E >> (*pos & 7)) & 1;
    (*pos)++;
    return bit;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_bench(int seconds)
{
    long n = 8000L * seconds, i;
    int16_t *audio = malloc(sizeof(int16_t) * n);
    int pos = 0;
    fsk_tx_state_t *tx = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], flag_bit, &pos);
    hdlc_rx_state_t *hdlc = hdlc_rx_init(NULL, FALSE, TRUE, 5, rx_frame, NULL);
    fsk_rx_state_t *rx = fsk_rx_init(NULL, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC, (put_bit_func_t) hdlc_rx_put_bit, hdlc);
    double t0, t1, t2;
    if (!audio) return 1;
    t0 = cpu_ms();
    for (i = 0; i < n; i += 160) fsk_tx(tx, audio + i, 160);
    t1 = cpu_ms();
    for (i = 0; i < n; i += 160) fsk_rx(rx, audio + i, 160);
    t2 = cpu_ms();
    printf("BENCH tx_ms_per_s %.4f rx_ms_per_s %.4f\n", (t1 - t0) / seconds, (t2 - t1) / seconds);
    free(audio);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) return usage();
    if (strcmp(argv[1], "g711") == 0 && argc == 3) return cmd_g711(argv[2]);
    if (strcmp(argv[1], "rx") == 0 && argc == 4) return cmd_rx(argv[2], parse_format(argv[3]));
    if (strcmp(argv[1], "tx") == 0 && argc == 6) return cmd_tx(argv[2], parse_format(argv[3]), atoi(argv[4]), argv[5]);
    if (strcmp(argv[1], "bench") == 0 && argc == 3) return cmd_bench(atoi(argv[2]));
    return usage();
}
