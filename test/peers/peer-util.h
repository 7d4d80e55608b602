/* Small helpers every spandsp test peer needs; included by the peers' single .c files. */
#ifndef FAXGATE_PEER_UTIL_H
#define FAXGATE_PEER_UTIL_H

#include <string.h>
#include <time.h>

/* True when `word` is one of the comma-separated items of `list`. */
static inline int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    const char *p = list;

    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t) (e - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return 1;
        if (e == NULL) return 0;
        p = e + 1;
    }
}

/* Milliseconds on the monotonic clock: for deadlines and pacing, never wall time. */
static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

#endif
