/* SPDX-License-Identifier: MIT */
#include "timer_offload.h"

#include "apic_regs.h"

static void record_lock(struct timer_offload *t)
{
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void record_unlock(struct timer_offload *t)
{
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

/* A write programmed the timer, or the guest's clock moved, since the last publication. */
static bool reprogrammed(const struct timer_offload *t, uint64_t programmed, uint64_t tsc_offset)
{
	return !t->published_once || t->published_programmed != programmed ||
	       t->published_tsc_offset != tsc_offset;
}

bool timer_offload_stale(const struct timer_offload *t, uint64_t programmed, uint32_t lvt,
			 uint64_t tsc_offset)
{
	return reprogrammed(t, programmed, tsc_offset) || t->published_lvt != lvt;
}

void timer_offload_publish(struct timer_offload *t, uint64_t programmed, uint64_t deadline,
			   uint64_t period, uint32_t lvt, uint64_t tsc_offset)
{
	/* An LVT change alone (vector, mask) keeps the timer running where it is: only a write
	 * that programmed the timer moves it (§11.5.1: the mask "inhibits reception", it does not
	 * stop the count). */
	bool restart = reprogrammed(t, programmed, tsc_offset);

	record_lock(t);
	if (restart) {
		t->deadline = deadline;
		t->period = period;
	}
	t->lvt = lvt;
	record_unlock(t);
	t->published_programmed = programmed;
	t->published_lvt = lvt;
	t->published_tsc_offset = tsc_offset;
	t->published_once = true;
}

int timer_offload_fire(struct timer_offload *t, uint64_t now, uint64_t *next)
{
	int vector = -1;

	record_lock(t);
	if (t->deadline && now >= t->deadline) {
		t->ticks++;
		if (!(t->lvt & APIC_LVT_MASKED)) {
			vector = (int)(t->lvt & APIC_LVT_VECTOR_MASK);
			t->delivered++;
		}
		if (t->period) {
			uint64_t late;

			t->deadline = apic_timer_next_period(t->deadline, t->period, now, &late);
			t->missed += late;
		} else {
			t->deadline = 0;
		}
	}
	*next = t->deadline;
	record_unlock(t);
	return vector;
}
