/*
 * dokkaa-web PORT: the HTTP server of the rollout test image (dokkaa/busybox:rollout), one
 * process with one epoll loop. make-rollout-image.sh builds it statically (the image has
 * no libc) and its header describes what it serves; in short:
 *
 *   GET|HEAD /, /index.html   200 "$VERSION\n" (env VERSION, default v1)
 *            /host.txt        200 "instance <hostname>\n"
 *            /healthz         200 "ok\n" while /www/healthz exists (stat on each request), else 404
 *            /cgi-bin/slow    200 "slow $VERSION\n" after 3 s (/cgi-bin/slow?N: after N s)
 *            anything else    404 "not found\n"
 *
 * Every answer is text/plain with Content-Length and "Connection: close"; the connection is
 * closed once it is written (no keep-alive, request bodies are ignored). LOG_REQUESTS=1
 * logs "url:<target>" and "response:<status>" on stderr for each request.
 * SIGTERM, SIGINT and SIGQUIT print "got SIGTERM with N slow requests in flight"; then with
 * IGNORE_TERM=1 "ignoring SIGTERM" and it serves on; otherwise it closes the listening socket,
 * answers every connection already accepted, prints "stopped after SIGTERM, nothing in
 * flight" and exits 0. It runs as PID 1, which has no default signal actions: every signal
 * it cares about gets an explicit handler (a self-pipe wakes the loop).
 *
 * Why not busybox httpd: it forks per connection (and a wrapper giving it a deep listen
 * backlog had to fork and exec per connection too), which saturates near 300 connections/s
 * on a busy two-core machine: health checks then time out and a test measures the backend
 * instead of the orchestrator. A slow request is a timer here, not a sleeping process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 8192           /* request line and headers */
#define READ_TIMEOUT_MS 10000 /* a request must arrive within this after the connection */
#define WRITE_TIMEOUT_MS 10000
#define LINGER_MS 2000        /* after our answer, wait this long for the client's FIN */
#define SLOW_DEFAULT_S 3
#define SLOW_MAX_S 86400

enum state { READING, SLOW, WRITING, LINGER };

struct conn {
  int fd;
  enum state state;
  long long deadline; /* ms, CLOCK_MONOTONIC: what happens then depends on state */
  size_t in_len;
  char *out;
  size_t out_len, out_off;
  int head; /* HEAD: headers only */
  struct conn *prev, *next;
  char in[IN_MAX];
};

static struct conn *conns; /* every open connection */
static int nconns, nslow;
static int epfd, listen_fd = -1, accept_paused;
static int sig_pipe[2];
static char listen_tag, sig_tag; /* epoll data of the listening socket and the self-pipe */
static int log_requests, ignore_term;
static const char *version;
static char hostname[256];

static void say(int fd, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  /* One write per line, so lines from here and from `docker exec … >/proc/1/fd/2` do not mix. */
  for (const char *p = buf; n > 0;) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= w;
  }
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *sig_name(int sig) {
  switch (sig) {
  case SIGTERM: return "SIGTERM";
  case SIGINT: return "SIGINT";
  case SIGQUIT: return "SIGQUIT";
  default: return "signal";
  }
}

static void on_signal(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  (void)!write(sig_pipe[1], &b, 1); /* non-blocking: a full pipe already wakes the loop */
  errno = saved;
}

static void watch(int fd, int op, unsigned events, void *ptr) {
  struct epoll_event ev = { .events = events, .data.ptr = ptr };
  if (epoll_ctl(epfd, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL) say(2, "dokkaa-web: epoll_ctl: %s\n", strerror(errno));
}

static void conn_close(struct conn *c) {
  if (c->state == SLOW) nslow--;
  close(c->fd); /* also leaves the epoll set */
  if (c->prev) c->prev->next = c->next;
  else conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->out);
  free(c);
  nconns--;
  if (accept_paused && listen_fd >= 0) {
    accept_paused = 0;
    watch(listen_fd, EPOLL_CTL_ADD, EPOLLIN, &listen_tag);
  }
}

/* Writes what it can; on completion half-closes and waits (LINGER) for the client's FIN, so
 * that unread request bytes cannot turn our close into a reset that loses the answer. */
static void conn_write(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (c->state != WRITING) {
          c->state = WRITING;
          c->deadline = now_ms() + WRITE_TIMEOUT_MS;
          watch(c->fd, EPOLL_CTL_MOD, EPOLLOUT, c);
        }
        return;
      }
      conn_close(c); /* reset by the client, or the like */
      return;
    }
    c->out_off += (size_t)w;
  }
  shutdown(c->fd, SHUT_WR);
  c->state = LINGER;
  c->deadline = now_ms() + LINGER_MS;
  watch(c->fd, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP, c);
}

static void respond(struct conn *c, int status, const char *body) {
  const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" : "Bad Request";
  size_t body_len = strlen(body);
  int n = asprintf(&c->out,
      "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
      status, reason, body_len, c->head ? "" : body);
  if (n < 0) {
    c->out = NULL;
    conn_close(c);
    return;
  }
  c->out_len = (size_t)n;
  c->out_off = 0;
  if (log_requests) say(2, "response:%d\n", status);
  conn_write(c);
}

static void answer_slow(struct conn *c) {
  char body[1024];
  snprintf(body, sizeof body, "slow %s\n", version);
  nslow--;
  c->state = READING; /* not SLOW any more: conn_close must not count it again */
  respond(c, 200, body);
}

/* The request (line and headers) is in c->in, NUL-terminated at the end of the headers. */
static void handle_request(struct conn *c) {
  char *line_end = strpbrk(c->in, "\r\n");
  if (line_end) *line_end = '\0';
  char *method = c->in, *target = strchr(method, ' ');
  if (!target) {
    respond(c, 400, "bad request\n");
    return;
  }
  *target++ = '\0';
  while (*target == ' ') target++;
  char *end = strchr(target, ' ');
  if (end) *end = '\0';
  if (log_requests) say(2, "url:%s\n", target);
  c->head = strcmp(method, "HEAD") == 0;
  if (!c->head && strcmp(method, "GET") != 0) {
    respond(c, 405, "method not allowed\n");
    return;
  }
  /* An absolute-form target (a proxy's "http://host/path"): keep the path. */
  if (strncmp(target, "http://", 7) == 0) {
    char *p = strchr(target + 7, '/');
    target = p ? p : "/";
  }
  char *query = strchr(target, '?');
  if (query) *query++ = '\0';
  char body[1024];
  if (strcmp(target, "/") == 0 || strcmp(target, "/index.html") == 0) {
    snprintf(body, sizeof body, "%s\n", version);
    respond(c, 200, body);
  } else if (strcmp(target, "/host.txt") == 0) {
    snprintf(body, sizeof body, "instance %s\n", hostname);
    respond(c, 200, body);
  } else if (strcmp(target, "/healthz") == 0) {
    struct stat st;
    if (stat("/www/healthz", &st) == 0) respond(c, 200, "ok\n");
    else respond(c, 404, "not found\n");
  } else if (strcmp(target, "/cgi-bin/slow") == 0) {
    long secs = SLOW_DEFAULT_S;
    if (query && *query && strspn(query, "0123456789") == strlen(query)) {
      secs = strlen(query) > 6 ? SLOW_MAX_S : strtol(query, NULL, 10);
      if (secs > SLOW_MAX_S) secs = SLOW_MAX_S;
    }
    c->state = SLOW;
    c->deadline = now_ms() + secs * 1000;
    nslow++;
    /* Nothing to read or write until the timer: a reset still shows as EPOLLERR/EPOLLHUP. */
    watch(c->fd, EPOLL_CTL_MOD, 0, c);
  } else {
    respond(c, 404, "not found\n");
  }
}

static void conn_read(struct conn *c) {
  for (;;) {
    if (c->state == LINGER) {
      char sink[4096];
      ssize_t r = recv(c->fd, sink, sizeof sink, 0);
      if (r > 0) continue;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      conn_close(c); /* the client's FIN (or a reset): done */
      return;
    }
    size_t room = IN_MAX - 1 - c->in_len;
    if (room == 0) {
      respond(c, 400, "bad request\n"); /* headers too large */
      return;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      conn_close(c);
      return;
    }
    if (r == 0) { /* closed before a whole request */
      conn_close(c);
      return;
    }
    size_t from = c->in_len >= 3 ? c->in_len - 3 : 0;
    c->in_len += (size_t)r;
    c->in[c->in_len] = '\0';
    char *e = strstr(c->in + from, "\r\n\r\n");
    if (!e) e = strstr(c->in + from, "\n\n");
    if (e) {
      *e = '\0';
      handle_request(c);
      return; /* the rest (a body, say) is read and dropped in LINGER */
    }
  }
}

static void accept_all(void) {
  while (listen_fd >= 0) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of descriptors: stop watching the socket until a connection closes. */
        if (nconns > 0 && !accept_paused) {
          accept_paused = 1;
          watch(listen_fd, EPOLL_CTL_DEL, 0, &listen_tag);
        }
      }
      return;
    }
    struct conn *c = malloc(sizeof *c);
    if (!c) {
      close(fd);
      return;
    }
    memset(c, 0, offsetof(struct conn, in));
    c->fd = fd;
    c->state = READING;
    c->deadline = now_ms() + READ_TIMEOUT_MS;
    c->next = conns;
    if (conns) conns->prev = c;
    conns = c;
    nconns++;
    watch(fd, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP, c);
  }
}

static void on_timer(struct conn *c) {
  if (c->state == SLOW) answer_slow(c);
  else conn_close(c); /* READING, WRITING or LINGER for too long */
}

int main(int argc, char **argv) {
  if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
    say(2, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  version = getenv("VERSION");
  if (!version || !*version) version = "v1";
  log_requests = getenv("LOG_REQUESTS") && strcmp(getenv("LOG_REQUESTS"), "1") == 0;
  ignore_term = getenv("IGNORE_TERM") && strcmp(getenv("IGNORE_TERM"), "1") == 0;
  if (gethostname(hostname, sizeof hostname - 1) < 0) strcpy(hostname, "unknown");

  /* As many connections as the hard limit allows. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
    say(2, "dokkaa-web: pipe: %s\n", strerror(errno));
    return 1;
  }
  struct sigaction sa = { .sa_handler = SIG_IGN };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);

  int one = 1;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_ANY) };
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listen_fd, 4096) < 0) {
    say(2, "dokkaa-web: port %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    say(2, "dokkaa-web: epoll: %s\n", strerror(errno));
    return 1;
  }
  watch(listen_fd, EPOLL_CTL_ADD, EPOLLIN, &listen_tag);
  watch(sig_pipe[0], EPOLL_CTL_ADD, EPOLLIN, &sig_tag);
  say(1, "serving %s\n", version);

  const char *stopping = NULL;
  struct epoll_event evs[256];
  for (;;) {
    if (stopping && nconns == 0) break;
    /* The nearest deadline bounds the wait. Connections are few (hundreds): a scan is cheap. */
    long long now = now_ms(), next = -1;
    for (struct conn *c = conns, *n; c; c = n) {
      n = c->next;
      if (c->deadline <= now) on_timer(c); /* may free c */
      else if (next < 0 || c->deadline < next) next = c->deadline;
    }
    if (stopping && nconns == 0) break;
    int timeout = next < 0 ? -1 : (int)(next - now);
    int n = epoll_wait(epfd, evs, sizeof evs / sizeof evs[0], timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      say(2, "dokkaa-web: epoll_wait: %s\n", strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &listen_tag) {
        accept_all();
      } else if (p == &sig_tag) {
        unsigned char sigs[64];
        ssize_t r;
        while ((r = read(sig_pipe[0], sigs, sizeof sigs)) > 0) {
          for (ssize_t k = 0; k < r; k++) {
            const char *name = sig_name(sigs[k]);
            say(1, "got %s with %d slow requests in flight\n", name, nslow);
            if (ignore_term) {
              say(1, "ignoring %s\n", name);
            } else if (!stopping) {
              stopping = name;
              /* Take the connections the kernel has already completed, then no more. */
              accept_all();
              if (listen_fd >= 0) close(listen_fd);
              listen_fd = -1;
            }
          }
        }
      } else {
        /* Live: a connection is freed only while handling its own event or by a timer
         * before epoll_wait, and an fd appears at most once in a batch. */
        struct conn *c = p;
        unsigned ev = evs[i].events;
        if (c->state == SLOW) {
          if (ev & (EPOLLERR | EPOLLHUP)) conn_close(c); /* the client is gone */
        } else if (c->state == WRITING) {
          if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) conn_write(c); /* a send error closes it */
        } else {
          conn_read(c);
        }
      }
    }
  }
  say(1, "stopped after %s, nothing in flight\n", stopping);
  return 0;
}
