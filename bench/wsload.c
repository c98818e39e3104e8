/* The fan-out benchmark's viewers: N WebSocket connections in one epoll loop.
 *
 * Built by bench/nchan.py into a temporary folder (gcc -O2) and pinned to a core of
 * its own, so the viewers cost next to nothing beside the server they measure; the
 * same client measures Lägesbild and nginx with nchan.
 *
 *   wsload HOST PORT PATH N MESSAGES [--header "Name: value"]... [--subscribe JSON]
 *          [--first] [--headers-file FILE]
 *
 * --headers-file: one more header per line; connection i takes line i mod lines.
 *
 * It opens N connections (at most 256 handshakes at a time), upgrades each with PATH,
 * sends the --subscribe frame (masked, as a client must) and, with --first, waits for
 * one text frame (the snapshot) before counting the socket as ready. Then it prints
 *
 *   ready <ready> <failed>
 *
 * and reads text frames. Every measured message carries a marker "B#<n>#" (n from 0
 * to MESSAGES-1); for each n it keeps the first and the last arrival over all sockets
 * (CLOCK_MONOTONIC, ns) and, when every ready socket has it, prints
 *
 *   done <n> <first_ns> <last_ns> <p50_ns>
 *
 * A socket that gets marker n before n-1, misses one, or closes is counted; at the end
 * (every message done, or "quit" on stdin, or stdin closed) it prints
 *
 *   end <frames> <bytes> <out_of_order> <closed> <pings>
 *
 * (frames and bytes of the measured messages only, payload bytes).
 *
 * Pings are answered with pongs. Nothing here allocates per frame.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536
#define MAX_HEADERS 8
#define IN_FLIGHT 256

enum { CONNECTING, HANDSHAKE, WAIT_FIRST, READY, DEAD };

typedef struct {
    int fd;
    int state;
    int len;        /* bytes in buf */
    int last_mark;  /* the last marker seen, -1 before any */
    unsigned char *buf;
} conn_t;

static conn_t *conns;
static int n_conns, n_messages, want_first;
static char **requests; /* one per --headers-file line (or one) */
static int *request_lens;
static int n_requests = 1;
static unsigned char sub_frame[4096];
static int sub_len;
static int64_t *first_at, *last_at;
static int *have, *printed;
static int64_t **arrivals; /* per message: arrival of each socket, for the median */
static long frames, bytes_in, out_of_order, closed_count, pings;
static int ready_count, failed_count, done_count, in_flight;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int mask_frame(unsigned char *out, int opcode, const unsigned char *payload, int len) {
    int h = 0;
    out[h++] = 0x80 | opcode;
    if (len < 126) {
        out[h++] = 0x80 | len;
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = (len >> 8) & 0xff;
        out[h++] = len & 0xff;
    }
    unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(out + h, mask, 4);
    h += 4;
    for (int i = 0; i < len; i++) out[h + i] = payload[i] ^ mask[i % 4];
    return h + len;
}

static void kill_conn(conn_t *c, int epfd) {
    if (c->state == DEAD) return;
    if (c->state == READY) closed_count++;
    else failed_count++;
    if (c->state == CONNECTING || c->state == HANDSHAKE || c->state == WAIT_FIRST) in_flight--;
    c->state = DEAD;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

static void mark_ready(conn_t *c) {
    c->state = READY;
    ready_count++;
    in_flight--;
}

static int parse_marker(const unsigned char *p, int len) {
    /* "B#<digits>#" anywhere in the payload; -1 when absent. */
    for (int i = 0; i + 3 < len; i++) {
        if (p[i] == 'B' && p[i + 1] == '#' && p[i + 2] >= '0' && p[i + 2] <= '9') {
            int n = 0, j = i + 2;
            while (j < len && p[j] >= '0' && p[j] <= '9') n = n * 10 + (p[j++] - '0');
            if (j < len && p[j] == '#') return n;
        }
    }
    return -1;
}

static void on_text(conn_t *c, const unsigned char *payload, int len, int64_t t) {
    if (c->state == WAIT_FIRST) {
        mark_ready(c);
        return;
    }
    if (c->state != READY) return;
    int n = parse_marker(payload, len);
    if (n < 0 || n >= n_messages) return;
    frames++; /* measured messages only: not the snapshot, not anything else */
    bytes_in += len;
    if (n != c->last_mark + 1) out_of_order++;
    c->last_mark = n;
    int idx = have[n];
    if (idx < n_conns) arrivals[n][idx] = t;
    have[n]++;
    if (first_at[n] == 0 || t < first_at[n]) first_at[n] = t;
    if (t > last_at[n]) last_at[n] = t;
    if (!printed[n] && have[n] >= ready_count - closed_count) {
        printed[n] = 1;
        qsort(arrivals[n], have[n], sizeof(int64_t), cmp64);
        printf("done %d %lld %lld %lld\n", n, (long long)first_at[n], (long long)last_at[n],
               (long long)arrivals[n][have[n] / 2]);
        fflush(stdout);
        done_count++;
    }
}

/* Consume whole frames from c->buf; returns -1 when the connection is to be dropped. */
static int consume(conn_t *c, int epfd, int64_t t) {
    int off = 0;
    while (c->len - off >= 2) {
        unsigned char *p = c->buf + off;
        int opcode = p[0] & 0x0f;
        uint64_t plen = p[1] & 0x7f;
        int h = 2;
        if (plen == 126) {
            if (c->len - off < 4) break;
            plen = ((uint64_t)p[2] << 8) | p[3];
            h = 4;
        } else if (plen == 127) {
            if (c->len - off < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = (plen << 8) | p[2 + i];
            h = 10;
        }
        if (plen > BUF - 16) return -1; /* larger than this client takes */
        if ((uint64_t)(c->len - off) < h + plen) break;
        unsigned char *payload = p + h;
        if (opcode == 0x1 || opcode == 0x2 || opcode == 0x0) {
            on_text(c, payload, (int)plen, t);
        } else if (opcode == 0x9) {
            unsigned char pong[160];
            int plen_i = plen > 125 ? 125 : (int)plen;
            int n = mask_frame(pong, 0xA, payload, plen_i);
            pings++;
            if (write(c->fd, pong, n) != n) return -1;
        } else if (opcode == 0x8) {
            return -1;
        }
        off += h + (int)plen;
    }
    if (off > 0) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    (void)epfd;
    return 0;
}

static void on_readable(conn_t *c, int epfd) {
    for (;;) {
        ssize_t got = read(c->fd, c->buf + c->len, BUF - c->len);
        if (got == 0) {
            kill_conn(c, epfd);
            return;
        }
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            kill_conn(c, epfd);
            return;
        }
        int64_t t = now_ns();
        c->len += (int)got;
        if (c->state == HANDSHAKE) {
            c->buf[c->len] = 0;
            char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (end == NULL) {
                if (c->len >= BUF - 1) kill_conn(c, epfd);
                continue;
            }
            if (strncmp((char *)c->buf, "HTTP/1.1 101", 12) != 0) {
                fprintf(stderr, "wsload: no upgrade: %.120s\n", c->buf);
                kill_conn(c, epfd);
                return;
            }
            int used = (int)(end + 4 - (char *)c->buf);
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            if (sub_len > 0 && write(c->fd, sub_frame, sub_len) != sub_len) {
                kill_conn(c, epfd);
                return;
            }
            if (want_first) {
                c->state = WAIT_FIRST;
            } else {
                mark_ready(c);
            }
        }
        if (consume(c, epfd, t) < 0) {
            kill_conn(c, epfd);
            return;
        }
        if (c->len >= BUF - 1) { /* cannot happen with frames under BUF */
            kill_conn(c, epfd);
            return;
        }
    }
}

static struct sockaddr_in target;
static int next_conn;

static void open_more(int epfd) {
    while (next_conn < n_conns && in_flight < IN_FLIGHT) {
        conn_t *c = &conns[next_conn++];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        c->last_mark = -1;
        c->buf = malloc(BUF + 1);
        if (c->fd < 0 || c->buf == NULL) {
            c->state = DEAD;
            failed_count++;
            continue;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->state = CONNECTING;
        in_flight++;
        int r = connect(c->fd, (struct sockaddr *)&target, sizeof target);
        if (r < 0 && errno != EINPROGRESS) {
            c->state = DEAD;
            in_flight--;
            failed_count++;
            close(c->fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    }
}

static void on_writable(conn_t *c, int epfd) {
    if (c->state != CONNECTING) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    int k = (int)(c - conns) % n_requests;
    if (err != 0 || write(c->fd, requests[k], request_lens[k]) != request_lens[k]) {
        kill_conn(c, epfd);
        return;
    }
    c->state = HANDSHAKE;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: wsload HOST PORT PATH N MESSAGES [--header H]... [--subscribe J] [--first]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    const char *path = argv[3];
    n_conns = atoi(argv[4]);
    n_messages = atoi(argv[5]);
    char headers[4096] = "";
    const char *headers_file = NULL;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--headers-file") == 0 && i + 1 < argc) {
            headers_file = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--header") == 0 && i + 1 < argc) {
            strncat(headers, argv[++i], sizeof headers - strlen(headers) - 3);
            strcat(headers, "\r\n");
        } else if (strcmp(argv[i], "--subscribe") == 0 && i + 1 < argc) {
            const char *json = argv[++i];
            sub_len = mask_frame(sub_frame, 0x1, (const unsigned char *)json, (int)strlen(json));
        } else if (strcmp(argv[i], "--first") == 0) {
            want_first = 1;
        }
    }
    /* One extra header per line of --headers-file: connection i uses line i mod lines
       (many viewers, many tokens, as many people would be). */
    char lines[4096][256];
    int n_lines = 0;
    if (headers_file != NULL) {
        FILE *f = fopen(headers_file, "r");
        if (f == NULL) {
            perror("wsload: --headers-file");
            return 2;
        }
        while (n_lines < 4096 && fgets(lines[n_lines], sizeof lines[0], f) != NULL) {
            lines[n_lines][strcspn(lines[n_lines], "\r\n")] = 0;
            if (lines[n_lines][0]) n_lines++;
        }
        fclose(f);
    }
    n_requests = n_lines > 0 ? n_lines : 1;
    requests = calloc(n_requests, sizeof(char *));
    request_lens = calloc(n_requests, sizeof(int));
    for (int k = 0; k < n_requests; k++) {
        requests[k] = malloc(8192);
        request_lens[k] = snprintf(
            requests[k], 8192,
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
            path, host, port, headers, n_lines > 0 ? lines[k] : "", n_lines > 0 ? "\r\n" : "");
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    inet_pton(AF_INET, host, &target.sin_addr);

    conns = calloc(n_conns, sizeof(conn_t));
    first_at = calloc(n_messages, sizeof(int64_t));
    last_at = calloc(n_messages, sizeof(int64_t));
    have = calloc(n_messages, sizeof(int));
    printed = calloc(n_messages, sizeof(int));
    arrivals = calloc(n_messages, sizeof(int64_t *));
    for (int i = 0; i < n_messages; i++) arrivals[i] = calloc(n_conns, sizeof(int64_t));

    int epfd = epoll_create1(0);
    struct epoll_event in_ev = {.events = EPOLLIN, .data.ptr = NULL};
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &in_ev);

    struct epoll_event events[512];
    int announced = 0, quit = 0;
    open_more(epfd);
    while (!quit) {
        int n = epoll_wait(epfd, events, 512, 1000);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (c == NULL) {
                char line[256];
                ssize_t got = read(0, line, sizeof line - 1);
                if (got <= 0 || (got > 0 && strncmp(line, "quit", 4) == 0)) quit = 1;
                continue;
            }
            if (c->state == DEAD) continue;
            if (events[i].events & (EPOLLERR | EPOLLHUP) && c->state == CONNECTING) {
                kill_conn(c, epfd);
                continue;
            }
            if (events[i].events & EPOLLOUT) on_writable(c, epfd);
            if (c->state != DEAD && (events[i].events & EPOLLIN)) on_readable(c, epfd);
        }
        open_more(epfd);
        if (!announced && next_conn >= n_conns && in_flight == 0) {
            printf("ready %d %d\n", ready_count, failed_count);
            fflush(stdout);
            announced = 1;
        }
        if (announced && done_count >= n_messages) quit = 1;
    }
    printf("end %ld %ld %ld %ld %ld\n", frames, bytes_in, out_of_order, closed_count, pings);
    fflush(stdout);
    return 0;
}
