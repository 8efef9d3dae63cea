// SPDX-License-Identifier: GPL-2.0
/*
 * NTHREADS kthreads each add ROUNDS to counters protected by a mutex, a spinlock, a rw-semaphore
 * and a semaphore (plain read-modify-writes, so a broken lock loses increments), and to an
 * atomic_t; the totals must be exact.  Then a kthread wakes init's wait_event_timeout(), which
 * returns the time left.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rwsem.h>
#include <linux/semaphore.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/delay.h>

#define NTHREADS 4
#define ROUNDS 20000

static DEFINE_MUTEX(m);
static DEFINE_SPINLOCK(sl);
static DECLARE_RWSEM(rws);
static DEFINE_SEMAPHORE(sem, 1);
static atomic_t acount = ATOMIC_INIT(0);
static long mcount, scount, rcount, semcount;
static DECLARE_COMPLETION(all_done);
static atomic_t running = ATOMIC_INIT(NTHREADS);
static DECLARE_WAIT_QUEUE_HEAD(wq);
static int flag;

static void bump(long *p)
{
	long v = READ_ONCE(*p);
	barrier();
	WRITE_ONCE(*p, v + 1);
}

static int worker(void *data)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		mutex_lock(&m);
		bump(&mcount);
		mutex_unlock(&m);
		spin_lock(&sl);
		bump(&scount);
		spin_unlock(&sl);
		down_write(&rws);
		bump(&rcount);
		up_write(&rws);
		down(&sem);
		bump(&semcount);
		up(&sem);
		atomic_inc(&acount);
	}
	if (atomic_dec_and_test(&running))
		complete(&all_done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int waker(void *data)
{
	msleep(20);
	WRITE_ONCE(flag, 1);
	wake_up(&wq);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int __init sync_counter_init(void)
{
	struct task_struct *t[NTHREADS], *w;
	long left;
	int i;

	for (i = 0; i < NTHREADS; i++)
		t[i] = kthread_run(worker, NULL, "sync_worker/%d", i);
	wait_for_completion(&all_done);
	for (i = 0; i < NTHREADS; i++)
		kthread_stop(t[i]);
	pr_info("sync_counter: mutex=%ld spinlock=%ld rwsem=%ld semaphore=%ld atomic=%d\n",
		mcount, scount, rcount, semcount, atomic_read(&acount));

	w = kthread_run(waker, NULL, "sync_waker");
	left = wait_event_timeout(wq, READ_ONCE(flag), 10 * HZ);
	kthread_stop(w);
	pr_info("sync_counter: woken with time left %s\n",
		left > 0 && left < 10 * HZ ? "yes" : "no");
	return 0;
}

static void __exit sync_counter_exit(void)
{
}

module_init(sync_counter_init);
module_exit(sync_counter_exit);
MODULE_LICENSE("GPL");
