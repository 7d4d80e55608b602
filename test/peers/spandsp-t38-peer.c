/*
 * spandsp-t38-peer: a spandsp T.38 terminal on 127.0.0.1, the independent judge of faxgate's
 * T.30/T.38 stack. spandsp 0.0.6 speaks IFP only, so this program does the UDPTL framing
 * (T.38 §9.1, redundancy form) itself and runs spandsp's clock in real time (20 ms ticks).
 *
 *   spandsp-t38-peer send|receive --file F [--local-port N] [--peer-port N] [--ecm 0|1]
 *       [--compress mh,mr,mmr] [--caller 0|1] [--id ID] [--redundancy N] [--drop-every K]
 *       [--timeout S] [--no-pacing] [--corrupt-non-ecm] [--t38-version 0|2|3]
 *       [--rate-method 1|2] [--resolutions standard,fine,superfine] [--sub DIGITS]
 *       [--repeat-new-seq] [--reorder-every K] [--modems v27ter,v29,v17] [--verbose]
 *
 * Prints "LISTENING <port>" once bound. With --peer-port 0 (the default for the answering
 * side) the peer address is learned from the first datagram, and spandsp's clock starts then,
 * as it would once a call is connected. Exit status 0 only when spandsp's phase E reports
 * T30_ERR_OK; 1 for any other completion code, 2 for usage errors, 3 on timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>
#include "peer-util.h"

#define MAX_REDUNDANCY 8
#define MAX_IFP 2048

static int sock = -1;
static struct sockaddr_in peer_addr;
static int peer_known = 0;
static uint16_t tx_seq = 0;
static uint8_t history[MAX_REDUNDANCY][MAX_IFP];
static int history_len[MAX_REDUNDANCY];
static int redundancy = 3;
static int drop_every = 0;
static long tx_count = 0, tx_dropped = 0, rx_count = 0, rx_recovered = 0, rx_lost = 0;
static int done = 0;
static int completion = -1;
static int expected_seq = -1;
static int sending = 0;
static int corrupt_non_ecm = 0;

/*
 * --corrupt-non-ecm: spoil the t4-non-ecm-data of every received IFP (version 0 encoding,
 * T.38 Annex A), so that spandsp judges every TCF bad and answers FTT: the failure path
 * "the receiver answers FTT until the lowest rate".
 */
static void corrupt_ifp(uint8_t *ifp, int len)
{
    int pos, fields, i;

    if (len < 2 || (ifp[0] & 0xC0) != 0xC0 || (ifp[0] & 0x20)) return;
    fields = ifp[1];
    pos = 2;
    for (i = 0; i < fields && pos < len; i++) {
        int has_data = ifp[pos] & 0x80;
        int type = (ifp[pos] >> 4) & 0x07;
        int n;
        pos++;
        if (!has_data) continue;
        if (pos + 2 > len) return;
        n = ((ifp[pos] << 8) | ifp[pos + 1]) + 1;
        pos += 2;
        if (pos + n > len) return;
        if (type == 6 || type == 7) {
            int k;
            for (k = 0; k < n; k++) ifp[pos + k] ^= 0x5A;
        }
        pos += n;
    }
}

/* X.691 §10.9: unconstrained length determinant, short and two-octet forms. */
static int put_length(uint8_t *buf, int len)
{
    if (len < 0x80) { buf[0] = (uint8_t) len; return 1; }
    buf[0] = (uint8_t) (0x80 | (len >> 8));
    buf[1] = (uint8_t) (len & 0xFF);
    return 2;
}

static int get_length(const uint8_t *buf, int avail, int *pos, int *len)
{
    if (*pos >= avail) return -1;
    if ((buf[*pos] & 0x80) == 0) { *len = buf[(*pos)++]; return 0; }
    if ((buf[*pos] & 0xC0) != 0x80 || *pos + 1 >= avail) return -1;
    *len = ((buf[*pos] & 0x3F) << 8) | buf[*pos + 1];
    *pos += 2;
    return 0;
}

/*
 * spandsp asks for `count` copies of indicators and of packets that end a signal (3 each in
 * 0.0.6). By default the same datagram goes out `count` times, as FreeSWITCH's mod_spandsp
 * does; with --repeat-new-seq each copy gets its own sequence number instead.
 */
static int repeat_new_seq = 0;
/* --reorder-every K: every K-th datagram overtaken by the one after it */
static int reorder_every = 0;
static uint8_t held[MAX_IFP * (MAX_REDUNDANCY + 1) + 64];
static int held_len = 0;
static long tx_reordered = 0;

static int tx_packet_handler(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    uint8_t pkt[MAX_IFP * (MAX_REDUNDANCY + 1) + 64];
    int n = 0, i, entries = 0, copy;

    (void) s; (void) user_data;
    if (len > MAX_IFP) return -1;
    if (count < 1) count = 1;
    if (repeat_new_seq && count > 1) {
        for (copy = 0; copy < count; copy++) tx_packet_handler(s, user_data, buf, len, 1);
        return 0;
    }

    pkt[n++] = (uint8_t) (tx_seq >> 8);
    pkt[n++] = (uint8_t) (tx_seq & 0xFF);
    n += put_length(pkt + n, len);
    memcpy(pkt + n, buf, len);
    n += len;
    pkt[n++] = 0x00; /* error-recovery: secondary-ifp-packets */
    for (i = 0; i < redundancy; i++)
        if (history_len[i] > 0) entries++;
    n += put_length(pkt + n, entries);
    for (i = 0; i < entries; i++) {
        n += put_length(pkt + n, history_len[i]);
        memcpy(pkt + n, history[i], history_len[i]);
        n += history_len[i];
    }
    for (i = MAX_REDUNDANCY - 1; i > 0; i--) {
        memcpy(history[i], history[i - 1], history_len[i - 1]);
        history_len[i] = history_len[i - 1];
    }
    memcpy(history[0], buf, len);
    history_len[0] = len;
    tx_seq++;
    for (copy = 0; copy < count; copy++) {
        tx_count++;
        if (drop_every > 0 && tx_count % drop_every == 0) {
            tx_dropped++;
            continue;
        }
        if (!peer_known) continue;
        if (reorder_every > 0 && tx_count % reorder_every == 0 && held_len == 0) {
            /* hold this datagram back and send it after the next one */
            memcpy(held, pkt, n);
            held_len = n;
            continue;
        }
        sendto(sock, pkt, n, 0, (struct sockaddr *) &peer_addr, sizeof(peer_addr));
        if (held_len > 0) {
            sendto(sock, held, held_len, 0, (struct sockaddr *) &peer_addr, sizeof(peer_addr));
            held_len = 0;
            tx_reordered++;
        }
    }
    return 0;
}

static void rx_udptl(t38_core_state_t *core, uint8_t *buf, int len)
{
    int pos = 2, plen, count, i, seq;
    uint8_t *primary;
    uint8_t *sec[16];
    int sec_len[16];

    if (len < 4) return;
    seq = (buf[0] << 8) | buf[1];
    if (get_length(buf, len, &pos, &plen) || pos + plen > len) return;
    primary = buf + pos;
    pos += plen;
    count = 0;
    if (pos < len && (buf[pos] & 0x80) == 0) {
        pos++;
        if (get_length(buf, len, &pos, &count) == 0) {
            if (count > 16) count = 16;
            for (i = 0; i < count; i++) {
                if (get_length(buf, len, &pos, &sec_len[i]) || pos + sec_len[i] > len) { count = i; break; }
                sec[i] = buf + pos;
                pos += sec_len[i];
            }
        } else {
            count = 0;
        }
    }
    rx_count++;
    if (corrupt_non_ecm) {
        corrupt_ifp(primary, plen);
        for (i = 0; i < count; i++) corrupt_ifp(sec[i], sec_len[i]);
    }
    if (expected_seq >= 0) {
        int gap = (uint16_t) (seq - expected_seq);
        if (gap >= 0x8000) return; /* late or duplicate */
        /* Rebuild what was lost from the secondaries, oldest first. */
        for (i = gap; i >= 1; i--) {
            if (i - 1 < count) {
                t38_core_rx_ifp_packet(core, sec[i - 1], sec_len[i - 1], (uint16_t) (seq - i));
                rx_recovered++;
            } else {
                rx_lost++;
            }
        }
    }
    t38_core_rx_ifp_packet(core, primary, plen, (uint16_t) seq);
    expected_seq = (uint16_t) (seq + 1);
}

static void phase_e_handler(t30_state_t *s, void *user_data, int result)
{
    t30_stats_t t;
    const char *ident;

    (void) user_data;
    t30_get_transfer_statistics(s, &t);
    completion = result;
    done = 1;
    ident = t30_get_rx_ident(s);
    printf("COMPLETION %d %s\n", result, t30_completion_code_to_str(result));
    printf("STATS pages_tx=%d pages_rx=%d bit_rate=%d ecm=%d x_res=%d y_res=%d width=%d length=%d encoding=%d bad_rows=%d ecm_retries=%d remote_id=\"%s\"\n",
           t.pages_tx, t.pages_rx, t.bit_rate, t.error_correcting_mode, t.x_resolution, t.y_resolution,
           t.width, t.length, t.encoding, t.bad_rows, t.error_correcting_mode_retries, ident ? ident : "");
    {
        const char *rx_sub = t30_get_rx_sub_address(s);
        printf("SUB \"%s\"\n", rx_sub ? rx_sub : "");
    }
    printf("UDPTL tx=%ld dropped=%ld reordered=%ld rx=%ld recovered=%ld lost=%ld\n", tx_count, tx_dropped, tx_reordered, rx_count, rx_recovered, rx_lost);
    fflush(stdout);
}

static int phase_d_handler(t30_state_t *s, void *user_data, int result)
{
    t30_stats_t t;
    (void) user_data; (void) result;
    t30_get_transfer_statistics(s, &t);
    printf("PAGE %s pages_tx=%d pages_rx=%d bit_rate=%d ecm=%d encoding=%d bad_rows=%d\n", sending ? "sent" : "received",
           t.pages_tx, t.pages_rx, t.bit_rate, t.error_correcting_mode, t.encoding, t.bad_rows);
    fflush(stdout);
    return T30_ERR_OK;
}

static void usage(void)
{
    fprintf(stderr, "usage: spandsp-t38-peer send|receive --file F [--local-port N] [--peer-port N] [--ecm 0|1]\n"
                    "       [--compress mh,mr,mmr] [--caller 0|1] [--id ID] [--redundancy N] [--drop-every K]\n"
                    "       [--timeout S] [--no-pacing] [--corrupt-non-ecm] [--t38-version 0|2|3]\n"
                    "       [--rate-method 1|2] [--resolutions standard,fine,superfine] [--sub DIGITS]\n"
                    "       [--repeat-new-seq] [--reorder-every K] [--modems v27ter,v29,v17] [--verbose]\n");
    exit(2);
}

int main(int argc, char *argv[])
{
    const char *sub = NULL, *modems = "v27ter,v29,v17";
    const char *file = NULL, *ident = "spandsp peer", *compress = "mh,mr,mmr", *resolutions = "standard,fine,superfine";
    int local_port = 0, peer_port = 0, ecm = 1, caller = -1, timeout_s = 180, verbose = 0, no_pacing = 0;
    int t38_version = 0, rate_method = 2;
    int i, compressions = 0;
    struct sockaddr_in local;
    socklen_t alen = sizeof(local);
    t38_terminal_state_t *t38;
    t30_state_t *t30;
    t38_core_state_t *core;
    double start, next_tick, deadline;

    if (argc < 2) usage();
    if (strcmp(argv[1], "send") == 0) sending = 1;
    else if (strcmp(argv[1], "receive") != 0) usage();
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "--verbose") == 0) { verbose = 1; continue; }
        if (strcmp(a, "--no-pacing") == 0) { no_pacing = 1; continue; }
        if (strcmp(a, "--corrupt-non-ecm") == 0) { corrupt_non_ecm = 1; continue; }
        if (strcmp(a, "--repeat-new-seq") == 0) { repeat_new_seq = 1; continue; }
        if (v == NULL) usage();
        i++;
        if (strcmp(a, "--file") == 0) file = v;
        else if (strcmp(a, "--local-port") == 0) local_port = atoi(v);
        else if (strcmp(a, "--peer-port") == 0) peer_port = atoi(v);
        else if (strcmp(a, "--ecm") == 0) ecm = atoi(v);
        else if (strcmp(a, "--compress") == 0) compress = v;
        else if (strcmp(a, "--resolutions") == 0) resolutions = v;
        else if (strcmp(a, "--sub") == 0) sub = v;
        else if (strcmp(a, "--reorder-every") == 0) reorder_every = atoi(v);
        else if (strcmp(a, "--modems") == 0) modems = v;
        else if (strcmp(a, "--caller") == 0) caller = atoi(v);
        else if (strcmp(a, "--id") == 0) ident = v;
        else if (strcmp(a, "--redundancy") == 0) redundancy = atoi(v);
        else if (strcmp(a, "--drop-every") == 0) drop_every = atoi(v);
        else if (strcmp(a, "--timeout") == 0) timeout_s = atoi(v);
        else if (strcmp(a, "--t38-version") == 0) t38_version = atoi(v);
        else if (strcmp(a, "--rate-method") == 0) rate_method = atoi(v);
        else usage();
    }
    if (file == NULL || redundancy < 0 || redundancy > MAX_REDUNDANCY) usage();
    if (caller < 0) caller = sending;
    if (has_word(compress, "mh")) compressions |= T30_SUPPORT_T4_1D_COMPRESSION;
    if (has_word(compress, "mr")) compressions |= T30_SUPPORT_T4_2D_COMPRESSION;
    if (has_word(compress, "mmr")) compressions |= T30_SUPPORT_T6_COMPRESSION;
    if (compressions == 0) usage();

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&local, 0, sizeof(local));
    local.sin_family = AF_INET;
    local.sin_port = htons((uint16_t) local_port);
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sock < 0 || bind(sock, (struct sockaddr *) &local, sizeof(local)) < 0) {
        perror("bind");
        return 2;
    }
    getsockname(sock, (struct sockaddr *) &local, &alen);
    memset(&peer_addr, 0, sizeof(peer_addr));
    peer_addr.sin_family = AF_INET;
    peer_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer_addr.sin_port = htons((uint16_t) peer_port);
    peer_known = peer_port != 0;
    printf("LISTENING %d\n", ntohs(local.sin_port));
    fflush(stdout);

    t38 = t38_terminal_init(NULL, caller, tx_packet_handler, NULL);
    t30 = t38_terminal_get_t30_state(t38);
    core = t38_terminal_get_t38_core_state(t38);
    if (no_pacing) t38_terminal_set_config(t38, T38_TERMINAL_OPTION_NO_PACING);
    t38_set_t38_version(core, t38_version);
    t38_set_data_rate_management_method(core, rate_method);
    t30_set_tx_ident(t30, ident);
    if (sub) t30_set_tx_sub_address(t30, sub);
    t30_set_ecm_capability(t30, ecm);
    t30_set_supported_compressions(t30, compressions);
    {
        int m = 0;
        if (has_word(modems, "v27ter")) m |= T30_SUPPORT_V27TER;
        if (has_word(modems, "v29")) m |= T30_SUPPORT_V29;
        if (has_word(modems, "v17")) m |= T30_SUPPORT_V17;
        t30_set_supported_modems(t30, m);
    }
    {
        int res = 0;
        if (has_word(resolutions, "standard")) res |= T30_SUPPORT_STANDARD_RESOLUTION;
        if (has_word(resolutions, "fine")) res |= T30_SUPPORT_FINE_RESOLUTION;
        if (has_word(resolutions, "superfine")) res |= T30_SUPPORT_SUPERFINE_RESOLUTION;
        t30_set_supported_resolutions(t30, res);
    }
    if (sending) t30_set_tx_file(t30, file, -1, -1);
    else t30_set_rx_file(t30, file, -1);
    t30_set_phase_d_handler(t30, phase_d_handler, NULL);
    t30_set_phase_e_handler(t30, phase_e_handler, NULL);
    if (verbose) {
        int level = SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW;
        span_log_set_level(t38_terminal_get_logging_state(t38), level);
        span_log_set_level(t30_get_logging_state(t30), level);
        span_log_set_level(t38_core_get_logging_state(core), level);
    }

    start = now_ms();
    deadline = start + timeout_s * 1000.0;
    next_tick = start;
    while (!done) {
        double now = now_ms();
        struct pollfd pfd = { sock, POLLIN, 0 };
        int wait_ms;

        if (now >= deadline) {
            printf("COMPLETION timeout after %d s\n", timeout_s);
            return 3;
        }
        if (peer_known && now >= next_tick) {
            t38_terminal_send_timeout(t38, 160);
            next_tick += 20.0;
            continue;
        }
        wait_ms = peer_known ? (int) (next_tick - now) + 1 : 100;
        if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & POLLIN)) {
            uint8_t buf[65536];
            struct sockaddr_in from;
            socklen_t flen = sizeof(from);
            ssize_t n = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *) &from, &flen);
            if (n <= 0) continue;
            if (!peer_known) {
                peer_addr = from;
                peer_known = 1;
                next_tick = now_ms();
            }
            rx_udptl(core, buf, (int) n);
        }
    }
    printf("ELAPSED %.0f ms\n", now_ms() - start);
    return completion == T30_ERR_OK ? 0 : 1;
}
