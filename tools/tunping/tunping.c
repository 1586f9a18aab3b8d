/* tunping: a user-space program at the other end of a tun or tap device.
 *
 * The tun/tap lesson: a tun device is a network interface whose wire is a file
 * descriptor. The kernel hands every packet routed into tun0 to the program
 * that opened /dev/net/tun for it, and sends up the stack whatever that
 * program writes back. tunping answers ICMP echo requests, so `ping` reaches
 * a program, not a host:
 *
 *   tunping tun0            IP packets (IFF_TUN): every echo request routed into
 *                           tun0 is answered, whatever its destination address
 *   tunping --tap tap0 ADDR Ethernet frames (IFF_TAP): answers ARP who-has ADDR
 *                           and echo requests to ADDR, as a host with MAC
 *                           02:00:00:00:00:01 would (bridge tap0 to reach it)
 *
 * Run it inside the device's namespace: `netlab exec ns1 -- tunping tun0`
 * (installed beside netlab; in a build tree: build/.../tools/tunping/tunping).
 * It prints one line per answer and runs until killed; -c N stops after N.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { ETH_HLEN_ = 14, ETH_P_IP_ = 0x0800, ETH_P_ARP_ = 0x0806, ICMP_ECHO_ = 8, ICMP_ECHOREPLY_ = 0 };

static const uint8_t k_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static long g_echoes; /* echo requests answered so far */

static uint16_t checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void put16(uint8_t* p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t get16(const uint8_t* p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Turns an IPv4 ICMP echo request into its reply in place; 0 if it is not one
 * (or, with `only` set, not addressed to it). */
static int answer_echo(uint8_t* ip, size_t len, const struct in_addr* only) {
  if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != 1) return 0;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = get16(ip + 2);
  if (ihl < 20 || total > len || total < ihl + 8) return 0;
  uint8_t* icmp = ip + ihl;
  if (icmp[0] != ICMP_ECHO_ || (only && memcmp(ip + 16, &only->s_addr, 4) != 0)) return 0;
  uint8_t tmp[4];
  memcpy(tmp, ip + 12, 4); /* source <-> destination */
  memcpy(ip + 12, ip + 16, 4);
  memcpy(ip + 16, tmp, 4);
  ip[8] = 64; /* a fresh TTL */
  put16(ip + 10, 0);
  put16(ip + 10, checksum(ip, ihl));
  icmp[0] = ICMP_ECHOREPLY_;
  put16(icmp + 2, 0);
  put16(icmp + 2, checksum(icmp, total - ihl));
  char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, ip + 12, src, sizeof src);
  inet_ntop(AF_INET, ip + 16, dst, sizeof dst);
  printf("echo reply %s > %s id %u seq %u\n", src, dst, get16(icmp + 4), get16(icmp + 6));
  ++g_echoes;
  return 1;
}

/* Turns an ARP request for `addr` into the reply of MAC k_mac in place. */
static int answer_arp(uint8_t* frame, size_t len, const struct in_addr* addr) {
  uint8_t* arp = frame + ETH_HLEN_;
  if (len < ETH_HLEN_ + 28 || get16(arp + 6) != 1 || memcmp(arp + 24, &addr->s_addr, 4) != 0) return 0;
  put16(arp + 6, 2); /* reply */
  memcpy(arp + 18, arp + 8, 10); /* target = the asker (MAC and address) */
  memcpy(arp + 8, k_mac, 6);
  memcpy(arp + 14, &addr->s_addr, 4);
  printf("arp reply %s is-at 02:00:00:00:00:01\n", inet_ntoa(*addr));
  return 1;
}

/* A frame read from a tap: the answer in place (Ethernet addresses swapped), 0 for none. */
static int answer_frame(uint8_t* frame, size_t len, const struct in_addr* addr) {
  if (len < ETH_HLEN_) return 0;
  uint16_t type = get16(frame + 12);
  int answered = type == ETH_P_ARP_ ? answer_arp(frame, len, addr)
                 : type == ETH_P_IP_ ? answer_echo(frame + ETH_HLEN_, len - ETH_HLEN_, addr) : 0;
  if (!answered) return 0;
  memcpy(frame, frame + 6, 6);
  memcpy(frame + 6, k_mac, 6);
  return 1;
}

static int open_tun(const char* name, int tap) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return perror("tunping: /dev/net/tun"), -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    fprintf(stderr, "tunping: %s: %s (is it a %s of this namespace, not in use?)\n", name, strerror(errno),
            tap ? "tap" : "tun");
    close(fd);
    return -1;
  }
  return fd;
}

static int usage(void) {
  fprintf(stderr, "usage: tunping [-c COUNT] TUN\n       tunping [-c COUNT] --tap TAP ADDR\n");
  return 2;
}

int main(int argc, char** argv) {
  int tap = 0;
  long count = -1;
  const char *dev = NULL, *addr_text = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--tap") == 0) tap = 1;
    else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) count = strtol(argv[++i], NULL, 10);
    else if (argv[i][0] == '-') return usage();
    else if (!dev) dev = argv[i];
    else if (!addr_text) addr_text = argv[i];
    else return usage();
  }
  struct in_addr addr;
  if (!dev || (tap && (!addr_text || inet_pton(AF_INET, addr_text, &addr) != 1)) || (!tap && addr_text)) return usage();
  int fd = open_tun(dev, tap);
  if (fd < 0) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("tunping: answering ICMP echo on %s%s%s\n", dev, tap ? " as " : "", tap ? addr_text : "");
  uint8_t buf[65536];
  while (count < 0 || g_echoes < count) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return perror("tunping: read"), 1;
    int answered = tap ? answer_frame(buf, (size_t)n, &addr) : answer_echo(buf, (size_t)n, NULL);
    if (!answered) continue;
    if (write(fd, buf, (size_t)n) != n) return perror("tunping: write"), 1;
  }
  return 0;
}
