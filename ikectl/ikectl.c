/*
 * ikectl: control ikerund.  Every command waits for the daemon's answer
 * and exits 0 or 1 with it.  Blobs go to the daemon as an open
 * descriptor, so the root daemon never opens a path a client chose.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

#define IKECTL_SOCKET	"/run/ikerund.sock"

static const char	*sockpath = IKECTL_SOCKET;

static __dead void
usage(void)
{
	fprintf(stderr, "usage: ikectl [-j] [-s socket] command [arg ...]\n"
	    "commands: load [-n] file|-, reload, show policy|stats|sa [-j],\n"
	    "          reset all|sa|policy|id ID, lookup src dst, active, "
	    "passive,\n          couple, decouple\n");
	exit(1);
}

static int
connect_daemon(void)
{
	struct sockaddr_un	 sun;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "ikectl: socket path too long: %s\n",
		    sockpath);
		exit(1);
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("ikectl: socket");
		exit(1);
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "ikectl: ikerund is not running (no "
			    "control socket at %s)\n", sockpath);
		else
			fprintf(stderr, "ikectl: cannot connect to %s: %s\n",
			    sockpath, strerror(errno));
		exit(1);
	}
	return (s);
}

/*
 * Send one request and print the answer: data to stdout, the final
 * message to stdout (success) or stderr (failure).  Returns the exit
 * status.  With msgout, the final message is copied there instead.
 */
static int
request(uint32_t type, const void *data, size_t len, int fd, char *msgout,
    size_t msglen)
{
	static uint8_t	 buf[MSG_HDR_LEN + MSG_MAX_PAYLOAD];
	struct msg	 m;
	struct ctl_end	 ce;
	int		 s, r;

	s = connect_daemon();
	if (msg_send_sync(s, type, 1, data, len, fd) == -1) {
		fprintf(stderr, "ikectl: send: %s\n", strerror(errno));
		return (1);
	}
	for (;;) {
		if ((r = msg_recv_sync(s, &m, buf, sizeof(buf))) <= 0) {
			fprintf(stderr, "ikectl: %s\n", r == 0 ? "ikerund "
			    "closed the connection without an answer" :
			    "malformed answer from ikerund");
			return (1);
		}
		if (m.m_fd != -1)
			close(m.m_fd);
		switch (m.m_hdr.mh_type) {
		case MSG_CTL_DATA:
			if (fwrite(m.m_data, 1, m.m_hdr.mh_len, stdout) !=
			    m.m_hdr.mh_len) {
				perror("ikectl: stdout");
				return (1);
			}
			break;
		case MSG_CTL_END:
			close(s);
			if (ctl_end_decode(m.m_data, m.m_hdr.mh_len, &ce) ==
			    -1) {
				fprintf(stderr, "ikectl: malformed answer "
				    "from ikerund\n");
				return (1);
			}
			fflush(stdout);
			if (ce.ce_status != 0) {
				fprintf(stderr, "ikectl: %s\n", ce.ce_msg);
				return (1);
			}
			if (msgout != NULL)
				strlcpy(msgout, ce.ce_msg, msglen);
			else if (ce.ce_msg[0] != '\0')
				printf("%s\n", ce.ce_msg);
			return (fflush(stdout) == EOF ? 1 : 0);
		default:
			fprintf(stderr, "ikectl: unexpected answer %u\n",
			    m.m_hdr.mh_type);
			return (1);
		}
	}
}

/* standard input copied into a memory file: a regular file to pass */
static int
stdin_memfd(void)
{
	uint8_t	 buf[65536];
	ssize_t	 n, w;
	size_t	 total = 0;
	int	 fd;

	if ((fd = memfd_create("ikectl-blob", MFD_CLOEXEC)) == -1) {
		perror("ikectl: memfd_create");
		exit(1);
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("ikectl: stdin");
			exit(1);
		}
		if ((total += n) > 1024UL * 1024 * 1024) {
			fprintf(stderr, "ikectl: blob on stdin too large\n");
			exit(1);
		}
		for (w = 0; w < n; ) {
			ssize_t	 k = write(fd, buf + w, n - w);

			if (k == -1) {
				perror("ikectl: memfd");
				exit(1);
			}
			w += k;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	if (lseek(fd, 0, SEEK_SET) == -1) {
		perror("ikectl: lseek");
		exit(1);
	}
	return (fd);
}

static int
cmd_load(const char *path, int dryrun)
{
	struct ctl_load	 cl;
	uint8_t		 buf[sizeof(cl) + 16];
	char		 full[PATH_MAX];
	size_t		 len;
	int		 fd;

	memset(&cl, 0, sizeof(cl));
	if (dryrun)
		cl.cl_flags |= CTL_LOAD_DRYRUN;
	if (strcmp(path, "-") == 0) {
		cl.cl_flags |= CTL_LOAD_STDIN;
		fd = stdin_memfd();
	} else {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "ikectl: %s: %s\n", path,
			    strerror(errno));
			return (1);
		}
		/* remembered by the daemon for "reload" and SIGHUP */
		if (realpath(path, full) == NULL)
			strlcpy(full, path, sizeof(full));
		strlcpy(cl.cl_path, full, sizeof(cl.cl_path));
	}
	if ((len = ctl_load_encode(&cl, buf, sizeof(buf))) == 0) {
		fprintf(stderr, "ikectl: path too long\n");
		return (1);
	}
	return (request(MSG_CTL_LOAD, buf, len, fd, NULL, 0));
}

static int
cmd_reload(void)
{
	char	 path[CTL_MSG_MAX];

	if (request(MSG_CTL_LASTPATH, NULL, 0, -1, path, sizeof(path)) != 0)
		return (1);
	return (cmd_load(path, 0));
}

static int
cmd_show(const char *what, int json)
{
	struct ctl_show	 cs;
	uint8_t		 buf[32];

	memset(&cs, 0, sizeof(cs));
	if (strcmp(what, "policy") == 0)
		cs.cs_what = SHOW_POLICY;
	else if (strcmp(what, "stats") == 0)
		cs.cs_what = SHOW_STATS;
	else if (strcmp(what, "sa") == 0)
		cs.cs_what = SHOW_SA;
	else
		usage();
	cs.cs_flags = json ? CTL_SHOW_JSON : 0;
	return (request(MSG_CTL_SHOW, buf, ctl_show_encode(&cs, buf,
	    sizeof(buf)), -1, NULL, 0));
}

static int
cmd_reset(int argc, char *argv[])
{
	struct ctl_reset	 cr;
	uint8_t			 buf[sizeof(cr) + 16];
	size_t			 len;

	memset(&cr, 0, sizeof(cr));
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "all") == 0 && argc == 1)
		cr.cr_what = RESET_ALL;
	else if (strcmp(argv[0], "sa") == 0 && argc == 1)
		cr.cr_what = RESET_SA;
	else if (strcmp(argv[0], "policy") == 0 && argc == 1)
		cr.cr_what = RESET_POLICY;
	else if (strcmp(argv[0], "id") == 0 && argc == 2) {
		cr.cr_what = RESET_ID;
		if (argv[1][0] == '\0' || strlcpy(cr.cr_id, argv[1],
		    sizeof(cr.cr_id)) >= sizeof(cr.cr_id)) {
			fprintf(stderr, "ikectl: invalid ID\n");
			return (1);
		}
	} else
		usage();
	if ((len = ctl_reset_encode(&cr, buf, sizeof(buf))) == 0)
		usage();
	return (request(MSG_CTL_RESET, buf, len, -1, NULL, 0));
}

static int
cmd_lookup(const char *src, const char *dst)
{
	struct ctl_lookup	 cl;
	uint8_t			 buf[sizeof(cl) + 16];

	memset(&cl, 0, sizeof(cl));
	if (inet_pton(AF_INET, src, cl.cl_src) == 1 &&
	    inet_pton(AF_INET, dst, cl.cl_dst) == 1)
		cl.cl_af = AF_INET;
	else if (inet_pton(AF_INET6, src, cl.cl_src) == 1 &&
	    inet_pton(AF_INET6, dst, cl.cl_dst) == 1)
		cl.cl_af = AF_INET6;
	else {
		fprintf(stderr, "ikectl: lookup: two addresses of one family "
		    "expected\n");
		return (1);
	}
	return (request(MSG_CTL_LOOKUP, buf, ctl_lookup_encode(&cl, buf,
	    sizeof(buf)), -1, NULL, 0));
}

static int
cmd_mode(uint32_t mode)
{
	struct ctl_mode	 cm = { mode };
	uint8_t		 buf[16];

	return (request(MSG_CTL_MODE, buf, ctl_mode_encode(&cm, buf,
	    sizeof(buf)), -1, NULL, 0));
}

int
main(int argc, char *argv[])
{
	int	 ch, json = 0, dryrun = 0;

	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "load") == 0) {
		if (argc == 3 && strcmp(argv[1], "-n") == 0) {
			dryrun = 1;
			argv++;
			argc--;
		}
		if (argc != 2)
			usage();
		return (cmd_load(argv[1], dryrun));
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return (cmd_reload());
	if (strcmp(argv[0], "show") == 0) {
		if (argc == 3 && strcmp(argv[2], "-j") == 0)
			json = 1;
		else if (argc != 2)
			usage();
		return (cmd_show(argv[1], json));
	}
	if (strcmp(argv[0], "reset") == 0)
		return (cmd_reset(argc - 1, argv + 1));
	if (strcmp(argv[0], "lookup") == 0 && argc == 3)
		return (cmd_lookup(argv[1], argv[2]));
	if (argc == 1) {
		if (strcmp(argv[0], "active") == 0)
			return (cmd_mode(MODE_ACTIVE));
		if (strcmp(argv[0], "passive") == 0)
			return (cmd_mode(MODE_PASSIVE));
		if (strcmp(argv[0], "couple") == 0)
			return (cmd_mode(MODE_COUPLE));
		if (strcmp(argv[0], "decouple") == 0)
			return (cmd_mode(MODE_DECOUPLE));
	}
	usage();
}
