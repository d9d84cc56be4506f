/*
 * C floor for the unixipc benchmarks: the raw wire format (u32 BE length,
 * u32 BE id, payload; the server echoes each frame), over AF_UNIX or TCP.
 *
 *   pingpong server unix PATH | server tcp
 *       prints {"ready":true,"address":...} and serves until killed; a thread
 *       per connection reads what is there and writes every complete frame
 *       back in one write (the best a hand-written C server does).
 *   pingpong client unix PATH | client tcp PORT  PHASE...
 *       PHASE is seq:SIZE:WARM_MS:MS:MAX (sequential round trips, latency
 *       percentiles) or win:NAME:SIZE:DEPTH:WARM_MS:MS:MAX (DEPTH frames in
 *       flight on one connection, poll-driven). Each phase opens its own
 *       connection. Prints one JSON line with the same fields as bench/impl/client.mjs.
 *
 * Built by bench/run.mjs with `cc -O2 -pthread` into a temp dir; skipped without cc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HEADER 8
#define STALL_GRACE_MS 3000.0

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time (user + system) of this process, in microseconds. */
static double cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void die(const char *what) {
  fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int write_full(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- server ---- */

static void *serve_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  size_t cap = 1 << 20, have = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (have == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t r = read(fd, buf + have, cap - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    have += (size_t)r;
    size_t done = 0;
    while (have - done >= HEADER) {
      uint32_t len;
      memcpy(&len, buf + done, 4);
      size_t total = HEADER + ntohl(len);
      if (have - done < total) {
        if (total > cap) {
          /* make room for a frame larger than the buffer */
          memmove(buf, buf + done, have - done);
          have -= done;
          done = 0;
          cap = total;
          buf = realloc(buf, cap);
        }
        break;
      }
      done += total;
    }
    if (done > 0) {
      if (write_full(fd, buf, done) < 0) break;
      memmove(buf, buf + done, have - done);
      have -= done;
    }
  }
  close(fd);
  free(buf);
  return NULL;
}

static int run_server(int argc, char **argv) {
  int lfd;
  if (argc >= 4 && strcmp(argv[2], "unix") == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(argv[3]) >= sizeof sa.sun_path) {
      fprintf(stderr, "pingpong: path too long\n");
      return 1;
    }
    strcpy(sa.sun_path, argv[3]);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 1024) < 0) die("listen");
    printf("{\"ready\":true,\"address\":{\"path\":\"%s\"}}\n", argv[3]);
  } else if (argc >= 3 && strcmp(argv[2], "tcp") == 0) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 1024) < 0) die("listen");
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    printf("{\"ready\":true,\"address\":{\"host\":\"127.0.0.1\",\"port\":%d}}\n", ntohs(sa.sin_port));
  } else {
    fprintf(stderr, "usage: pingpong server unix PATH | server tcp\n");
    return 2;
  }
  fflush(stdout);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on AF_UNIX */
    pthread_t t;
    pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd);
    pthread_detach(t);
  }
}

/* ---- client ---- */

static const char *c_transport;
static const char *c_where;

static int dial(void) {
  int fd;
  if (strcmp(c_transport, "unix") == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, c_where, sizeof sa.sun_path - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(c_where))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

static char *make_frames(size_t size, int count) {
  size_t f = HEADER + size;
  char *buf = malloc(f * (size_t)count);
  for (int i = 0; i < count; i++) {
    uint32_t len = htonl((uint32_t)size), id = htonl((uint32_t)i + 1);
    memcpy(buf + f * (size_t)i, &len, 4);
    memcpy(buf + f * (size_t)i + 4, &id, 4);
    memset(buf + f * (size_t)i + HEADER, 'a', size);
  }
  return buf;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *sorted, long n, double p) {
  long k = (long)ceil(p * (double)n) - 1;
  if (k < 0) k = 0;
  if (k > n - 1) k = n - 1;
  return sorted[k];
}

/* Sequential round trips; returns how many completed. */
static long seq_loop(int fd, const char *frame, size_t size, double ms, long max, double *samples,
                     char *rbuf) {
  size_t total = HEADER + size;
  double t0 = now_ms(), deadline = t0 + ms;
  long i = 0;
  while (i < max) {
    double start = now_ms();
    if (write_full(fd, frame, total) < 0) die("write");
    size_t have = 0;
    while (have < total) {
      ssize_t r = read(fd, rbuf + have, total - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) die("read");
      have += (size_t)r;
    }
    double t = now_ms();
    if (samples) samples[i] = t - start;
    i++;
    if (t >= deadline) break;
  }
  return i;
}

static void phase_seq(const char *spec, int *first) {
  size_t size;
  double warm, ms;
  long max;
  if (sscanf(spec, "seq:%zu:%lf:%lf:%ld", &size, &warm, &ms, &max) != 4) {
    fprintf(stderr, "bad phase %s\n", spec);
    exit(2);
  }
  int fd = dial();
  char *frame = make_frames(size, 1);
  char *rbuf = malloc(HEADER + size);
  double *samples = malloc(sizeof(double) * (size_t)max);
  seq_loop(fd, frame, size, warm, max, NULL, rbuf);
  double t0 = now_ms(), c0 = cpu_us();
  long n = seq_loop(fd, frame, size, ms, max, samples, rbuf);
  double elapsed = now_ms() - t0, cpu = (cpu_us() - c0) / (double)n;
  qsort(samples, (size_t)n, sizeof(double), cmp_double);
  printf("%s\"seq\":{\"n\":%ld,\"elapsedMs\":%.3f,\"rps\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"cpuUs\":%.2f}",
         *first ? "" : ",", n, elapsed, n / (elapsed / 1000.0), pct(samples, n, 0.5) * 1000,
         pct(samples, n, 0.99) * 1000, pct(samples, n, 0.999) * 1000, samples[n - 1] * 1000, cpu);
  *first = 0;
  close(fd);
  free(frame);
  free(rbuf);
  free(samples);
}

/* DEPTH frames in flight; responses arrive in order, so counting bytes is enough. */
static long win_loop(int fd, const char *frames, size_t size, int depth, double ms, long max,
                     double *elapsed_out) {
  size_t f = HEADER + size, ring = f * (size_t)depth, pos = 0, pending = 0;
  size_t rcap = 256 * 1024, body_left = 0, hdr_have = 0;
  char *rbuf = malloc(rcap), hdr[HEADER];
  long granted = 0, done = 0;
  double t0 = now_ms(), deadline = t0 + ms, last = t0;
  int stopping = 0;
  while (granted - done < depth && granted < max) {
    granted++;
    pending += f;
  }
  while (done < granted) {
    struct pollfd p = {.fd = fd, .events = POLLIN | (pending > 0 ? POLLOUT : 0)};
    if (poll(&p, 1, 1000) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (now_ms() > deadline + STALL_GRACE_MS) break;
    if (p.revents & POLLOUT && pending > 0) {
      size_t chunk = ring - pos < pending ? ring - pos : pending;
      ssize_t w = write(fd, frames + pos, chunk);
      if (w < 0 && errno != EAGAIN && errno != EINTR) die("write");
      if (w > 0) {
        pos = (pos + (size_t)w) % ring;
        pending -= (size_t)w;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(fd, rbuf, rcap);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) die("read");
      size_t off = 0;
      while (off < (size_t)r) {
        if (body_left > 0) {
          size_t take = (size_t)r - off < body_left ? (size_t)r - off : body_left;
          body_left -= take;
          off += take;
        } else {
          hdr[hdr_have++] = rbuf[off++];
          if (hdr_have < HEADER) continue;
          hdr_have = 0;
          uint32_t len;
          memcpy(&len, hdr, 4);
          if (ntohl(len) != size) {
            fprintf(stderr, "pingpong: reply of %u bytes, expected %zu\n", ntohl(len), size);
            exit(1);
          }
          body_left = size;
        }
        if (body_left == 0 && hdr_have == 0) {
          done++;
          last = now_ms();
          if (!stopping && (last >= deadline || granted >= max)) stopping = 1;
          if (!stopping) {
            granted++;
            pending += f;
          }
        }
      }
    }
  }
  free(rbuf);
  *elapsed_out = last - t0;
  return done;
}

static void phase_win(const char *spec, int *first) {
  char name[32];
  size_t size;
  int depth;
  double warm, ms, elapsed;
  long max;
  if (sscanf(spec, "win:%31[^:]:%zu:%d:%lf:%lf:%ld", name, &size, &depth, &warm, &ms, &max) != 6) {
    fprintf(stderr, "bad phase %s\n", spec);
    exit(2);
  }
  int fd = dial();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  char *frames = make_frames(size, depth);
  win_loop(fd, frames, size, depth, warm, max, &elapsed);
  double c0 = cpu_us();
  long n = win_loop(fd, frames, size, depth, ms, max, &elapsed);
  double rps = n / (elapsed / 1000.0), cpu = (cpu_us() - c0) / (double)n;
  printf("%s\"%s\":{\"n\":%ld,\"elapsedMs\":%.3f,\"rps\":%.1f,\"MiBps\":%.2f,\"cpuUs\":%.3f}", *first ? "" : ",",
         name, n, elapsed, rps, rps * (double)size / 1048576.0, cpu);
  *first = 0;
  close(fd);
  free(frames);
}

static int run_client(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: pingpong client unix PATH|tcp PORT PHASE...\n");
    return 2;
  }
  c_transport = argv[2];
  c_where = argv[3];
  int first = 1;
  printf("{\"results\":{");
  for (int i = 4; i < argc; i++) {
    if (strncmp(argv[i], "seq:", 4) == 0) phase_seq(argv[i], &first);
    else if (strncmp(argv[i], "win:", 4) == 0) phase_win(argv[i], &first);
  }
  printf("}}\n");
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc >= 2 && strcmp(argv[1], "server") == 0) return run_server(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "client") == 0) return run_client(argc, argv);
  fprintf(stderr, "usage: pingpong server ... | pingpong client ...\n");
  return 2;
}
