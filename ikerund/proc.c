/*
 * Processes: the parent forks and executes itself once per child, with
 * its end of a socketpair on descriptor 3; the child then locks itself
 * in (chroot, drop to the unprivileged user) before it reads anything.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikerund.h"
#include "log.h"

static const char *const proc_names[PROC_MAX] = {
	"parent", "ca", "ikev2"
};

const char *
proc_name(enum proc_id id)
{
	return (id < PROC_MAX ? proc_names[id] : "?");
}

/*
 * Start a child: returns its pid and the parent's end of the socketpair
 * in *sockp.
 */
pid_t
proc_spawn(enum proc_id id, const struct ikerund_opts *o, int *sockp)
{
	const char	*argv[24];
	int		 sp[2], argc = 0;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(sp[1]);
		*sockp = sp[0];
		return (pid);
	}

	/* child: its end on IKERUND_CHILD_FD, the rest closed on exec */
	if (sp[1] != IKERUND_CHILD_FD) {
		if (dup2(sp[1], IKERUND_CHILD_FD) == -1)
			fatal("dup2");
	} else if (fcntl(sp[1], F_SETFD, 0) == -1)
		fatal("fcntl");
	/* die with the parent */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	argv[argc++] = "ikerund";
	argv[argc++] = "-T";
	argv[argc++] = proc_name(id);
	if (o->o_debug)
		argv[argc++] = "-d";
	if (o->o_verbose)
		argv[argc++] = "-v";
	argv[argc++] = "-K";
	argv[argc++] = o->o_keydir;
	argv[argc++] = "-E";
	argv[argc++] = o->o_empty;
	argv[argc++] = "-u";
	argv[argc++] = o->o_user;
	if (o->o_cookies != NULL) {
		argv[argc++] = "-C";
		argv[argc++] = o->o_cookies;
	}
	argv[argc] = NULL;
	execv("/proc/self/exe", (char *const *)argv);
	fatal("exec %s process", proc_name(id));
}

/*
 * Lock a child in: chroot to root, drop to user.  Any failure is fatal:
 * a child never runs with more than it should.
 */
void
proc_sandbox(enum proc_id id, const char *root, const char *user)
{
	struct passwd	*pw;
	struct stat	 st;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("%s: unknown user %s: create it with "
		    "\"make install\" or scripts/deps.sh", proc_name(id), user);
	if (stat(root, &st) == -1)
		fatal("%s: chroot directory %s", proc_name(id), root);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatalx("%s: %s must be a directory owned by root and "
		    "writable by root only", proc_name(id), root);
	if (chroot(root) == -1)
		fatal("%s: chroot %s", proc_name(id), root);
	if (chdir("/") == -1)
		fatal("%s: chdir /", proc_name(id));
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("%s: cannot drop privileges to %s", proc_name(id), user);
	if (setuid(0) != -1)
		fatalx("%s: could regain root after dropping privileges",
		    proc_name(id));
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
