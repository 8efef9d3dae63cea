/* The ioctl interface of acme.ko, shared with the tests (crates/lkm/tests/chardev.rs). */
#ifndef ACME_IOCTL_H
#define ACME_IOCTL_H

struct acme_req {
	int a;
	int b;
	int sum;		/* set by the driver: a + b */
	char tag[20];		/* the driver writes "acme:" and the first 14 bytes it was given */
};

struct acme_who {
	int pid;
	char comm[16];
};

#define ACME_SUM	_IOWR('a', 1, struct acme_req)
#define ACME_BAD	_IOR('a', 2, int)	/* copy_to_user 100 bytes past the argument */
#define ACME_WHO	_IOR('a', 3, struct acme_who)	/* current at open */
#define ACME_GETUSER	_IOW('a', 4, int)	/* get_user, returns the value + 1 */
#define ACME_DEREF	_IOR('a', 5, int)	/* dereferences the user pointer directly: an oops */
#define ACME_SIZE	_IO('a', 6)		/* returns the message length */

#endif
