/*
 * Load generator and echo backend for udp-bench.sh.
 *   udp-load echo PORT                      echo every datagram back to its sender, on 127.0.0.1:PORT
 *   udp-load load PORT FLOWS WINDOW SECONDS SIZE
 *       FLOWS client sockets (one flow each) on 127.0.0.1, each keeping WINDOW datagrams of SIZE
 *       bytes in flight to 127.0.0.1:PORT; an answer sends the next. A socket that hears nothing
 *       for 200 ms refills its window (a datagram was lost). Prints: answers seconds refills.
 * Written in C so that the generator's own cost per datagram is far below the proxies'.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int echo(int port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(port);
    int big = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (bind(s, (struct sockaddr *) &a, sizeof a) < 0) {
        perror("bind");
        return 1;
    }
    char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *) &from, &len);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("recvfrom");
            return 1;
        }
        sendto(s, buf, n, 0, (struct sockaddr *) &from, len);
    }
}

static int load(int port, int flows, int window, double seconds, int size) {
    int ep = epoll_create1(0);
    int *fds = calloc(flows, sizeof(int));
    double *last = calloc(flows, sizeof(double));
    char *buf = calloc(1, 65536);
    struct sockaddr_in target = loopback(port);
    for (int i = 0; i < flows; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in local = loopback(0);
        bind(fds[i], (struct sockaddr *) &local, sizeof local);
        if (connect(fds[i], (struct sockaddr *) &target, sizeof target) < 0) {
            perror("connect");
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    double start = now(), end = start + seconds;
    long answers = 0, refills = 0;
    for (int i = 0; i < flows; i++) {
        for (int w = 0; w < window; w++) send(fds[i], buf, size, 0);
        last[i] = start;
    }
    struct epoll_event evs[64];
    double t = start;
    while (t < end) {
        int n = epoll_wait(ep, evs, 64, 50);
        t = now();
        for (int k = 0; k < n; k++) {
            int i = evs[k].data.u32;
            for (;;) {
                ssize_t r = recv(fds[i], buf, 65536, 0);
                if (r < 0) break;
                answers++;
                send(fds[i], buf, size, 0);
                last[i] = t;
            }
        }
        for (int i = 0; i < flows; i++) {
            if (t - last[i] > 0.2) {
                for (int w = 0; w < window; w++) send(fds[i], buf, size, 0);
                last[i] = t;
                refills++;
            }
        }
    }
    printf("%ld %.3f %ld\n", answers, now() - start, refills);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "echo") == 0) return echo(atoi(argv[2]));
    if (argc == 7 && strcmp(argv[1], "load") == 0)
        return load(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atof(argv[5]), atoi(argv[6]));
    fprintf(stderr, "usage: udp-load echo PORT | udp-load load PORT FLOWS WINDOW SECONDS SIZE\n");
    return 2;
}
