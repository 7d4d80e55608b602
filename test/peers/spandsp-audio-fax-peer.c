/*
 * spandsp-audio-fax-peer: a spandsp fax terminal (fax_state: T.30 over its own V.21, V.27 ter,
 * V.29, V.17 modems) on a line of 8 kHz 16-bit little-endian audio in lockstep: for every 160
 * samples read from stdin (the far end's audio of one 20 ms block) it runs fax_rx, then writes
 * the 160 samples of fax_tx to stdout. The far end thus drives the clock, and a whole call runs
 * in simulated time. Text (results, spandsp's log with --verbose) goes to stderr.
 *
 *   spandsp-audio-fax-peer send|receive FILE [--ecm 0|1] [--modems v27ter,v29,v17]
 *       [--caller 0|1] [--id ID] [--timeout SECONDS_OF_AUDIO] [--verbose]
 *       [--rtp PEER_PORT|latch --law ulaw|alaw]
 *
 * With --rtp the line is instead a G.711 RTP stream (RFC 3550, 20 ms packets) on 127.0.0.1: it
 * binds an ephemeral UDP port, prints "LISTENING <port>" on stderr, and answers every 20 ms of
 * audio received (in arrival order, after 60 ms of buffering) with a packet to PEER_PORT, so it
 * keeps the far end's real time. It stops 0.5 s after phase E, or when the far end has sent
 * nothing for 100 ms after phase E (1 s before it: the far end hung up mid-call). With
 * `--rtp latch` the far end's address is learnt from the first datagram (symmetric RTP): a SIP
 * test names our port in its SDP before it knows the far end's.
 *
 * Prints "COMPLETION <code> <text>" and page lines to stderr (on stdin, also "PHASE_E block=N":
 * the 20 ms block, counted from 1, during which phase E came, i.e. the call's length in line
 * time, for benchmarks); exits when stdin ends, or 0.5 s
 * of audio after phase E. Exit status 0 only when phase E reported T30_ERR_OK; 1 for another
 * completion code, 2 for usage errors, 3 when the call outlived --timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <spandsp.h>
#include "peer-util.h"

static int done = 0, completion = -1, sending = 0;
/* Blocks of the lockstep line processed so far, the one in progress included (0 over RTP). */
static long line_blocks = 0;

static void phase_e_handler(t30_state_t *s, void *user_data, int result)
{
    t30_stats_t t;
    (void) user_data;
    t30_get_transfer_statistics(s, &t);
    completion = result;
    done = 1;
    fprintf(stderr, "COMPLETION %d %s\n", result, t30_completion_code_to_str(result));
    if (line_blocks > 0) fprintf(stderr, "PHASE_E block=%ld\n", line_blocks);
    fprintf(stderr, "STATS pages_tx=%d pages_rx=%d bit_rate=%d ecm=%d encoding=%d bad_rows=%d\n",
            t.pages_tx, t.pages_rx, t.bit_rate, t.error_correcting_mode, t.encoding, t.bad_rows);
}

static int phase_d_handler(t30_state_t *s, void *user_data, int result)
{
    t30_stats_t t;
    (void) user_data; (void) result;
    t30_get_transfer_statistics(s, &t);
    fprintf(stderr, "PAGE %s pages_tx=%d pages_rx=%d bit_rate=%d bad_rows=%d\n", sending ? "sent" : "received",
            t.pages_tx, t.pages_rx, t.bit_rate, t.bad_rows);
    return T30_ERR_OK;
}

#define FIFO 16000
static int16_t fifo[FIFO];
static int fifo_head = 0, fifo_len = 0;

/*
 * The call over RTP; returns the exit status. spandsp's clock is the far end's: each 20 ms of
 * audio that arrives (played in arrival order after 60 ms of buffering) is answered at once by
 * 20 ms of spandsp's own, so a far end that keeps real time makes this side keep it too, and a
 * stall of either process on a busy machine delays the call instead of tearing holes in it.
 */
static int run_rtp(fax_state_t *fax, int peer_port, int alaw, int timeout_s)
{
    int sock = socket(AF_INET, SOCK_DGRAM, 0), started = 0, idle = 0, i;
    struct sockaddr_in local, peer;
    socklen_t alen = sizeof(local);
    uint16_t seq = 1000;
    uint32_t ts = 160000, ssrc = 0x5350414e;
    double deadline;
    long after_done = 0;
    uint8_t pkt[12 + 160], buf[2048];
    int16_t amp[160];

    memset(&local, 0, sizeof(local));
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sock < 0 || bind(sock, (struct sockaddr *) &local, sizeof(local)) < 0) { perror("bind"); return 1; }
    getsockname(sock, (struct sockaddr *) &local, &alen);
    memset(&peer, 0, sizeof(peer));
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer.sin_port = htons((uint16_t) peer_port);
    fprintf(stderr, "LISTENING %d\n", ntohs(local.sin_port));
    deadline = now_ms() + timeout_s * 1000.0;
    for (;;) {
        struct pollfd pfd = { sock, POLLIN, 0 };
        ssize_t n;
        if (now_ms() >= deadline) { fprintf(stderr, "COMPLETION timeout after %d s\n", timeout_s); return 3; }
        if (poll(&pfd, 1, 100) <= 0) {
            /* A far end that stopped sending (100 ms after our phase E, 1 s before) hung up. */
            if (done || (started && ++idle >= 10)) break;
            continue;
        }
        idle = 0;
        {
            struct sockaddr_in from;
            socklen_t flen = sizeof(from);
            n = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *) &from, &flen);
            /* --rtp latch: the far end is whoever sent the first datagram (symmetric RTP, as a
               SIP test names this port in its SDP before the far end's port is known). */
            if (peer_port < 0 && n > 0) {
                peer = from;
                peer_port = ntohs(from.sin_port);
                fprintf(stderr, "LATCHED %d\n", peer_port);
            }
        }
        if (n > 12 && (buf[0] >> 6) == 2) {
            int off = 12 + 4 * (buf[0] & 0x0F);
            for (i = off; i < n && fifo_len < FIFO; i++) {
                fifo[(fifo_head + fifo_len) % FIFO] = alaw ? alaw_to_linear(buf[i]) : ulaw_to_linear(buf[i]);
                fifo_len++;
            }
        }
        if (!started && fifo_len >= 480) started = 1;
        while (started && fifo_len >= 160) {
            for (i = 0; i < 160; i++) { amp[i] = fifo[fifo_head]; fifo_head = (fifo_head + 1) % FIFO; fifo_len--; }
            fax_rx(fax, amp, 160);
            n = fax_tx(fax, amp, 160);
            for (i = (int) n; i < 160; i++) amp[i] = 0;
            pkt[0] = 0x80;
            pkt[1] = alaw ? 8 : 0;
            pkt[2] = seq >> 8; pkt[3] = seq & 0xFF;
            pkt[4] = ts >> 24; pkt[5] = (ts >> 16) & 0xFF; pkt[6] = (ts >> 8) & 0xFF; pkt[7] = ts & 0xFF;
            pkt[8] = ssrc >> 24; pkt[9] = (ssrc >> 16) & 0xFF; pkt[10] = (ssrc >> 8) & 0xFF; pkt[11] = ssrc & 0xFF;
            for (i = 0; i < 160; i++) pkt[12 + i] = alaw ? linear_to_alaw(amp[i]) : linear_to_ulaw(amp[i]);
            sendto(sock, pkt, sizeof(pkt), 0, (struct sockaddr *) &peer, sizeof(peer));
            seq++;
            ts += 160;
            if (done && ++after_done >= 25) break;
        }
        if (done && after_done >= 25) break;
    }
    close(sock);
    if (!done) fprintf(stderr, "END the far end stopped sending before phase E\n");
    return done && completion == T30_ERR_OK ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: spandsp-audio-fax-peer send|receive FILE [--ecm 0|1] [--modems LIST] [--caller 0|1] [--id ID] [--timeout S] [--verbose] [--rtp PEER_PORT|latch --law ulaw|alaw]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *file, *modems = "v27ter,v29", *ident = "spandsp";
    int ecm = 0, caller = -1, timeout_s = 300, verbose = 0, i, m = 0, rtp_peer = 0, alaw = 0;
    long blocks = 0, after_done = 0;
    fax_state_t *fax;
    t30_state_t *t30;
    uint8_t raw[320];
    int16_t amp[160];

    if (argc < 3) return usage();
    if (strcmp(argv[1], "send") == 0) sending = 1;
    else if (strcmp(argv[1], "receive") != 0) return usage();
    file = argv[2];
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--ecm") == 0 && i + 1 < argc) ecm = atoi(argv[++i]);
        else if (strcmp(argv[i], "--modems") == 0 && i + 1 < argc) modems = argv[++i];
        else if (strcmp(argv[i], "--caller") == 0 && i + 1 < argc) caller = atoi(argv[++i]);
        else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) ident = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout_s = atoi(argv[++i]);
        else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
        else if (strcmp(argv[i], "--rtp") == 0 && i + 1 < argc) { i++; rtp_peer = strcmp(argv[i], "latch") == 0 ? -1 : atoi(argv[i]); }
        else if (strcmp(argv[i], "--law") == 0 && i + 1 < argc) alaw = strcmp(argv[++i], "alaw") == 0;
        else return usage();
    }
    if (caller < 0) caller = sending;

    fax = fax_init(NULL, caller);
    t30 = fax_get_t30_state(fax);
    fax_set_transmit_on_idle(fax, TRUE);
    t30_set_tx_ident(t30, ident);
    t30_set_ecm_capability(t30, ecm);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
    if (has_word(modems, "v27ter")) m |= T30_SUPPORT_V27TER;
    if (has_word(modems, "v29")) m |= T30_SUPPORT_V29;
    if (has_word(modems, "v17")) m |= T30_SUPPORT_V17;
    t30_set_supported_modems(t30, m);
    if (sending) t30_set_tx_file(t30, file, -1, -1);
    else t30_set_rx_file(t30, file, -1);
    t30_set_phase_d_handler(t30, phase_d_handler, NULL);
    t30_set_phase_e_handler(t30, phase_e_handler, NULL);
    if (verbose) {
        int level = SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW;
        span_log_set_level(fax_get_logging_state(fax), level);
        span_log_set_level(t30_get_logging_state(t30), level);
    }

    if (rtp_peer) return run_rtp(fax, rtp_peer, alaw, timeout_s);
    while (fread(raw, 1, sizeof(raw), stdin) == sizeof(raw)) {
        int n;
        for (i = 0; i < 160; i++) amp[i] = (int16_t) (raw[2 * i] | (raw[2 * i + 1] << 8));
        line_blocks = blocks + 1;
        fax_rx(fax, amp, 160);
        n = fax_tx(fax, amp, 160);
        for (i = n; i < 160; i++) amp[i] = 0;
        for (i = 0; i < 160; i++) { raw[2 * i] = amp[i] & 0xFF; raw[2 * i + 1] = (amp[i] >> 8) & 0xFF; }
        if (fwrite(raw, 1, sizeof(raw), stdout) != sizeof(raw)) break;
        fflush(stdout);
        blocks++;
        if (done && ++after_done >= 25) break;
        if (blocks >= timeout_s * 50L) {
            fprintf(stderr, "COMPLETION timeout after %d s of audio\n", timeout_s);
            return 3;
        }
    }
    fprintf(stderr, "END blocks=%ld\n", blocks);
    return done && completion == T30_ERR_OK ? 0 : 1;
}
