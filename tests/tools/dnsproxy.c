/*
 * dnsproxy.c - misbehaving DNS servers for the lab (UDP and TCP, IPv4).
 *
 *   dnsproxy -m delay  -l ADDR -p PORT -u ADDR -U PORT -d MS [-P PIDFILE]
 *   dnsproxy -m dead   -l ADDR -p PORT [-P PIDFILE]
 *   dnsproxy -m refuse -l ADDR -p PORT [-P PIDFILE]
 *
 * delay:  forwards every query to the upstream server MS milliseconds after
 *         it arrived and relays the answer at once. A retry of a question still
 *         waiting keeps the first one's due time, so a resolver retrying with
 *         growing timeouts gets its answer MS after its first try, as from a
 *         slow path (else every retry would restart the clock). DNSKEY queries
 *         are not delayed, so a validating resolver sees one delay per lookup.
 * dead:   reads queries and never answers (TCP connections stay open).
 * refuse: answers every query with rcode REFUSED, echoing the question.
 *
 * The pid file is written once the sockets are bound, so its existence means
 * "ready". SIGTERM or SIGINT stop the server and the TCP helpers it forked.
 * UDP is served from one poll loop; each TCP connection gets a forked helper
 * with blocking I/O and a lifetime bound (alarm), which keeps this file small.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG 65535
#define MAX_QUERY 2048   /* UDP queries are small; larger ones are dropped */
#define MAX_PENDING 1024
#define MAX_CHILDREN 64
#define UPSTREAM_TIMEOUT_MS 10000
#define TCP_LIFETIME_S 60
#define RR_DNSKEY 48
#define RCODE_REFUSED 5

enum mode { MODE_DELAY, MODE_DEAD, MODE_REFUSE };

/* A UDP query waiting for its due time, then for the upstream's answer. */
struct pending {
	int used;
	int up_fd;              /* -1 until forwarded */
	long long due_ms;       /* when to forward */
	long long expire_ms;    /* when to give up on the upstream */
	struct sockaddr_in client;
	size_t len;
	unsigned char msg[MAX_QUERY];
};

static volatile sig_atomic_t stopping;
static enum mode mode;
static struct sockaddr_in upstream;
static long delay_ms;
static pid_t children[MAX_CHILDREN];
static struct pending *pend;

/* on_signal - ask the main loop to stop */
static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* now_ms - monotonic clock in milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* question_end - offset just past the first question, 0 if malformed */
static size_t question_end(const unsigned char *m, size_t len)
{
	size_t off = 12;

	if (len < 12 || ((m[4] << 8) | m[5]) < 1)
		return 0;
	while (off < len) {
		unsigned l = m[off];
		if (l == 0) {
			off += 1;
			break;
		}
		if ((l & 0xC0) != 0)
			return 0; /* no compression in a question we accept */
		off += 1 + l;
	}
	if (off + 4 > len)
		return 0;
	return off + 4;
}

/* is_dnskey - nonzero if the query asks for DNSKEY */
static int is_dnskey(const unsigned char *m, size_t len)
{
	size_t end = question_end(m, len);

	return end > 0 && ((m[end - 4] << 8) | m[end - 3]) == RR_DNSKEY;
}

/* same_question - nonzero if two queries ask the same question (name case-insensitively) */
static int same_question(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	size_t ea = question_end(a, alen), eb = question_end(b, blen), i;

	if (ea == 0 || ea != eb)
		return 0;
	for (i = 12; i < ea; i++) {
		unsigned char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* make_refused - write a REFUSED reply to query q into out; returns its length, 0 if q is no query */
static size_t make_refused(const unsigned char *q, size_t len, unsigned char *out)
{
	size_t end;

	if (len < 12 || (q[2] & 0x80) != 0)
		return 0;
	end = question_end(q, len);
	if (end == 0)
		end = 12;
	memcpy(out, q, end);
	out[2] = (unsigned char)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
	out[3] = RCODE_REFUSED;
	out[4] = 0;
	out[5] = end > 12 ? 1 : 0;
	memset(out + 6, 0, 6);
	return end;
}

/* parse_addr - fill sin from a dotted IPv4 address and a port */
static int parse_addr(struct sockaddr_in *sin, const char *addr, const char *port)
{
	char *endp;
	long p = strtol(port, &endp, 10);

	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	if (*port == '\0' || *endp != '\0' || p <= 0 || p > 65535)
		return -1;
	sin->sin_port = htons((unsigned short)p);
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
}

/* read_full - read exactly n bytes; 1 ok, 0 EOF or error */
static int read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* write_full - write exactly n bytes; 1 ok, 0 error */
static int write_full(int fd, const unsigned char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		done += (size_t)w;
	}
	return 1;
}

/* sleep_ms - sleep, resuming after signals */
static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* serve_tcp - one TCP connection, in a forked helper; never returns */
static void serve_tcp(int fd)
{
	static unsigned char q[2 + MAX_MSG], r[2 + MAX_MSG];
	int up = -1;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	alarm(TCP_LIFETIME_S);
	for (;;) {
		size_t len, rlen;
		if (!read_full(fd, q, 2))
			break;
		len = (size_t)((q[0] << 8) | q[1]);
		if (len == 0 || !read_full(fd, q + 2, len))
			break;
		if (mode == MODE_DEAD)
			continue;
		if (mode == MODE_REFUSE) {
			rlen = make_refused(q + 2, len, r + 2);
			if (rlen == 0)
				continue;
		} else {
			if (!is_dnskey(q + 2, len))
				sleep_ms(delay_ms);
			if (up < 0) {
				up = socket(AF_INET, SOCK_STREAM, 0);
				if (up < 0 || connect(up, (struct sockaddr *)&upstream, sizeof upstream) < 0)
					break;
			}
			if (!write_full(up, q, len + 2) || !read_full(up, r, 2))
				break;
			rlen = (size_t)((r[0] << 8) | r[1]);
			if (!read_full(up, r + 2, rlen))
				break;
		}
		r[0] = (unsigned char)(rlen >> 8);
		r[1] = (unsigned char)(rlen & 0xff);
		if (!write_full(fd, r, rlen + 2))
			break;
	}
	_exit(0);
}

/* reap_children - collect exited TCP helpers */
static void reap_children(void)
{
	pid_t p;

	while ((p = waitpid(-1, NULL, WNOHANG)) > 0) {
		int i;
		for (i = 0; i < MAX_CHILDREN; i++)
			if (children[i] == p)
				children[i] = 0;
	}
}

/* accept_tcp - accept one connection and hand it to a helper */
static void accept_tcp(int lfd, int ufd)
{
	int i, fd = accept(lfd, NULL, NULL);
	pid_t p;

	if (fd < 0)
		return;
	reap_children();
	for (i = 0; i < MAX_CHILDREN && children[i] != 0; i++)
		;
	if (i == MAX_CHILDREN) {
		close(fd); /* too many open connections: shed load */
		return;
	}
	p = fork();
	if (p == 0) {
		close(lfd);
		close(ufd);
		serve_tcp(fd);
	}
	if (p > 0)
		children[i] = p;
	close(fd);
}

/* udp_query - handle one datagram on the listening socket; 0 when none was waiting */
static int udp_query(int ufd)
{
	unsigned char buf[MAX_MSG], out[MAX_MSG];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(ufd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	size_t rlen;
	int i, j;

	if (n <= 0 || mode == MODE_DEAD)
		return n > 0;
	if (mode == MODE_REFUSE) {
		rlen = make_refused(buf, (size_t)n, out);
		if (rlen > 0)
			sendto(ufd, out, rlen, 0, (struct sockaddr *)&from, flen);
		return 1;
	}
	for (i = 0; i < MAX_PENDING && pend[i].used; i++)
		;
	if (i == MAX_PENDING || (size_t)n > MAX_QUERY)
		return 1; /* full or oversized: drop, as an overloaded server would */
	pend[i].used = 1;
	pend[i].up_fd = -1;
	pend[i].due_ms = now_ms() + (is_dnskey(buf, (size_t)n) ? 0 : delay_ms);
	for (j = 0; j < MAX_PENDING; j++) {
		if (j != i && pend[j].used && pend[j].due_ms < pend[i].due_ms &&
		    same_question(pend[j].msg, pend[j].len, buf, (size_t)n))
			pend[i].due_ms = pend[j].due_ms; /* a retry: keep the first due time */
	}
	pend[i].client = from;
	pend[i].len = (size_t)n;
	memcpy(pend[i].msg, buf, (size_t)n);
	return 1;
}

/* release - forget pending query p */
static void release(struct pending *p)
{
	if (p->up_fd >= 0)
		close(p->up_fd);
	p->up_fd = -1;
	p->used = 0;
}

/* forward_due - send every query whose delay is over; expire stale ones */
static void forward_due(long long now)
{
	int i;

	for (i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pend[i];
		if (!p->used)
			continue;
		if (p->up_fd >= 0) {
			if (now >= p->expire_ms)
				release(p);
			continue;
		}
		if (now < p->due_ms)
			continue;
		p->up_fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (p->up_fd < 0 || connect(p->up_fd, (struct sockaddr *)&upstream, sizeof upstream) < 0 ||
		    send(p->up_fd, p->msg, p->len, 0) < 0) {
			release(p);
			continue;
		}
		p->expire_ms = now + UPSTREAM_TIMEOUT_MS;
	}
}

/* relay_answer - pass the upstream's answer for p back to its client */
static void relay_answer(int ufd, struct pending *p)
{
	unsigned char buf[MAX_MSG];
	ssize_t n = recv(p->up_fd, buf, sizeof buf, 0);

	if (n > 0)
		sendto(ufd, buf, (size_t)n, 0, (struct sockaddr *)&p->client, sizeof p->client);
	release(p);
}

/* listen_on - bind the UDP and TCP sockets; 0 ok, -1 error (reported) */
static int listen_on(const struct sockaddr_in *sin, int *ufd, int *tfd)
{
	int one = 1;

	*ufd = socket(AF_INET, SOCK_DGRAM, 0);
	*tfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*ufd < 0 || *tfd < 0) {
		perror("dnsproxy: socket");
		return -1;
	}
	setsockopt(*tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(*ufd, (const struct sockaddr *)sin, sizeof *sin) < 0 ||
	    bind(*tfd, (const struct sockaddr *)sin, sizeof *sin) < 0 || listen(*tfd, 64) < 0) {
		perror("dnsproxy: bind");
		return -1;
	}
	fcntl(*ufd, F_SETFL, O_NONBLOCK);
	fcntl(*tfd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* write_pidfile - write our pid atomically; 0 ok, -1 error */
static int write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* next_timeout - poll timeout until the next due or expiry time */
static int next_timeout(long long now)
{
	long long next = now + 1000;
	int i;

	for (i = 0; i < MAX_PENDING; i++) {
		long long t;
		if (!pend[i].used)
			continue;
		t = pend[i].up_fd >= 0 ? pend[i].expire_ms : pend[i].due_ms;
		if (t < next)
			next = t;
	}
	return next > now ? (int)(next - now) : 0;
}

/* usage - print how to call us and fail */
static int usage(void)
{
	fprintf(stderr, "usage: dnsproxy -m delay|dead|refuse -l ADDR -p PORT "
	                "[-u ADDR -U PORT -d MS] [-P PIDFILE]\n");
	return 2;
}

/* main - parse options, bind, serve until SIGTERM or SIGINT */
int main(int argc, char **argv)
{
	const char *laddr = "127.0.0.1", *lport = NULL, *uaddr = "127.0.0.1", *uport = NULL;
	const char *pidfile = NULL, *m = NULL;
	struct sockaddr_in lsin;
	struct sigaction sa;
	struct pollfd fds[2 + MAX_PENDING];
	int map[2 + MAX_PENDING];
	int c, ufd, tfd, i;

	while ((c = getopt(argc, argv, "m:l:p:u:U:d:P:")) != -1) {
		switch (c) {
		case 'm': m = optarg; break;
		case 'l': laddr = optarg; break;
		case 'p': lport = optarg; break;
		case 'u': uaddr = optarg; break;
		case 'U': uport = optarg; break;
		case 'd': delay_ms = strtol(optarg, NULL, 10); break;
		case 'P': pidfile = optarg; break;
		default: return usage();
		}
	}
	if (m == NULL || lport == NULL || optind != argc)
		return usage();
	if (strcmp(m, "delay") == 0)
		mode = MODE_DELAY;
	else if (strcmp(m, "dead") == 0)
		mode = MODE_DEAD;
	else if (strcmp(m, "refuse") == 0)
		mode = MODE_REFUSE;
	else
		return usage();
	if (parse_addr(&lsin, laddr, lport) < 0) {
		fprintf(stderr, "dnsproxy: bad listen address %s port %s\n", laddr, lport);
		return 2;
	}
	if (mode == MODE_DELAY && (uport == NULL || parse_addr(&upstream, uaddr, uport) < 0 || delay_ms < 0)) {
		fprintf(stderr, "dnsproxy: delay mode needs -u ADDR -U PORT and -d MS >= 0\n");
		return 2;
	}
	pend = calloc(MAX_PENDING, sizeof *pend);
	if (pend == NULL)
		return 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (listen_on(&lsin, &ufd, &tfd) < 0)
		return 1;
	if (pidfile != NULL && write_pidfile(pidfile) < 0) {
		perror("dnsproxy: pid file");
		return 1;
	}
	fprintf(stderr, "dnsproxy: %s on %s port %s\n", m, laddr, lport);

	while (!stopping) {
		long long now = now_ms();
		int n = 2;
		forward_due(now);
		fds[0].fd = ufd;
		fds[1].fd = tfd;
		fds[0].events = fds[1].events = POLLIN;
		for (i = 0; i < MAX_PENDING; i++) {
			if (pend[i].used && pend[i].up_fd >= 0) {
				fds[n].fd = pend[i].up_fd;
				fds[n].events = POLLIN;
				map[n++] = i;
			}
		}
		if (poll(fds, (nfds_t)n, next_timeout(now)) < 0) {
			if (errno == EINTR)
				continue;
			perror("dnsproxy: poll");
			break;
		}
		for (i = 2; i < n; i++)
			if (fds[i].revents != 0)
				relay_answer(ufd, &pend[map[i]]);
		if (fds[0].revents & POLLIN)
			for (i = 0; i < 64 && udp_query(ufd); i++)
				;
		if (fds[1].revents & POLLIN)
			accept_tcp(tfd, ufd);
		reap_children();
	}
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
	for (i = 0; i < MAX_PENDING; i++)
		if (pend[i].used)
			release(&pend[i]);
	free(pend);
	if (pidfile != NULL)
		unlink(pidfile);
	return 0;
}
