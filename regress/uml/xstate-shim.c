/*
 * xstate-shim.c: LD_PRELOAD fix for Debian's linux.uml (6.1) on hosts
 * with AMX (Intel Sapphire Rapids and later).
 *
 * UML saves and restores the FPU state of the host processes that run
 * guest programs with PTRACE_GETREGSET/PTRACE_SETREGSET NT_X86_XSTATE and
 * a buffer sized from CPUID for the features enabled in XCR0 (2696 bytes
 * with AVX-512).  The host kernel's XSAVE area also has room for the AMX
 * tile state, which is enabled per process on request; reading into the
 * shorter buffer works, but the kernel refuses to write anything but a
 * whole area (-EFAULT), so the guest dies at its first context switch:
 * "userspace - ptrace set fp regs failed, errno = 14", then "Attempted to
 * kill init!".
 *
 * This shim wraps ptrace(): a short NT_X86_XSTATE write becomes a read of
 * the whole area from the (stopped) tracee, the caller's bytes laid over
 * its start, and a write of the whole area.  In the XSAVE header, the
 * state-component bits of the components inside the caller's bytes come
 * from the caller, the others (AMX, which no guest program can enable)
 * from the tracee.  Every other request goes to the C library's ptrace()
 * untouched; on a host whose area fits UML's buffer nothing changes.
 *
 * UML issues these requests from its one kernel thread, on small kernel
 * stacks, hence the static buffer.
 */
#define _GNU_SOURCE
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define XSTATE_MAX	(64 * 1024)
#define XSAVE_HDR_OFF	512	/* XSTATE_BV, the first word of the header */
#define XSAVE_LEGACY	512	/* x87 and SSE: components 0 and 1 */

typedef long	(*ptrace_fn)(enum __ptrace_request, ...);

static unsigned char	 xbuf[XSTATE_MAX] __attribute__((aligned(64)));

long	ptrace(enum __ptrace_request, ...);

/*
 * The state components whose standard-format place (CPUID leaf 0xd) lies
 * within the first len bytes of an XSAVE area.
 */
static uint64_t
xstate_within(size_t len)
{
	unsigned int	 eax, ebx, ecx, edx, i;
	uint64_t	 mask = 0;

	if (len >= XSAVE_LEGACY)
		mask |= 0x3;
	for (i = 2; i < 63; i++) {
		if (!__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx))
			break;
		if (eax != 0 && (size_t)ebx + eax <= len)
			mask |= (uint64_t)1 << i;
	}
	return (mask);
}

static long
xstate_set(pid_t pid, struct iovec *iov)
{
	struct iovec	 full;
	static uint64_t	 mine;
	static size_t	 minelen;
	uint64_t	 bv, ubv;

	full.iov_base = xbuf;
	full.iov_len = sizeof(xbuf);
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, pid, NT_X86_XSTATE,
	    &full) == -1)
		return (-1);
	if (full.iov_len <= iov->iov_len ||
	    iov->iov_len < XSAVE_HDR_OFF + sizeof(bv))
		return (syscall(SYS_ptrace, PTRACE_SETREGSET, pid,
		    NT_X86_XSTATE, iov));
	memcpy(&bv, xbuf + XSAVE_HDR_OFF, sizeof(bv));
	memcpy(xbuf, iov->iov_base, iov->iov_len);
	memcpy(&ubv, xbuf + XSAVE_HDR_OFF, sizeof(ubv));
	if (minelen != iov->iov_len) {
		mine = xstate_within(iov->iov_len);
		minelen = iov->iov_len;
	}
	bv = (bv & ~mine) | (ubv & mine);
	memcpy(xbuf + XSAVE_HDR_OFF, &bv, sizeof(bv));
	return (syscall(SYS_ptrace, PTRACE_SETREGSET, pid, NT_X86_XSTATE,
	    &full));
}

long
ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn	 real;
	va_list			 ap;
	pid_t			 pid;
	void			*addr, *data;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);

	if (req == PTRACE_SETREGSET && (uintptr_t)addr == NT_X86_XSTATE &&
	    data != NULL)
		return (xstate_set(pid, data));
	if (real == NULL &&
	    (real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(req, pid, addr, data));
}
