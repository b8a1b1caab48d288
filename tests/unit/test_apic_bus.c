/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for apicv/apic_bus.c, the APIC bus: destination sets of IPIs (every shorthand,
 * physical, xAPIC logical flat and cluster, x2APIC cluster, broadcast, mixed xAPIC/x2APIC
 * machines) and of I/O APIC / MSI messages, lowest-priority arbitration, hardware- and
 * software-disabled vLAPICs and the counters, on machines of 1, 2, 4 and 8 vCPUs built from
 * real vLAPICs (apicv/vlapic.c). Tables give the expected set for 8 vCPUs; a machine of n vCPUs
 * expects the part of it below n (each vLAPIC's ID and LDR do not depend on n).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apicv/apic_bus.h"
#include "apicv/apic_regs.h"
#include "apicv/vlapic.h"

#define TSC_HZ 2000000000ull
#define BASE_XAPIC (APIC_BASE_DEFAULT_ADDRESS | APIC_BASE_MSR_EN)
#define BASE_X2APIC (BASE_XAPIC | APIC_BASE_MSR_EXTD)
#define VECTOR 0x40u
#define DFR_FLAT 0xFFFFFFFFu
#define DFR_CLUSTER 0x0FFFFFFFu
#define X2APIC_LDR_MSR 0x80Du
#define X2APIC_SVR_MSR 0x80Fu
#define X2APIC_ICR_MSR 0x830u

static const unsigned vcpu_counts[] = { 1, 2, 4, 8 };

/* ---- the machine: n vLAPICs on one bus ------------------------------------------------------- */

enum apic_setup {
	XAPIC_FLAT,     /* xAPIC, DFR flat, LDR bit i for vCPU i */
	XAPIC_CLUSTER,  /* xAPIC, DFR cluster, LDR cluster i/4, member bit i%4 */
	X2APIC,         /* x2APIC: LDR derived from the ID */
	MIXED,          /* vCPUs 0-3 xAPIC (flat LDRs), 4-7 x2APIC */
};

/* What one vCPU's IPI op saw (the end-to-end test). */
struct routed {
	unsigned calls;
	uint32_t targets;
};

static struct {
	struct apic_bus *bus;
	struct vlapic *vl[APIC_BUS_MAX];
	unsigned n;
	struct routed routed[APIC_BUS_MAX];
} m;

static uint8_t pages[APIC_BUS_MAX][4096] __attribute__((aligned(4096)));
static unsigned vcpu_numbers[APIC_BUS_MAX];

static uint32_t all(unsigned n)
{
	return (1u << n) - 1;
}

static uint32_t icr(unsigned delivery_mode, bool logical, unsigned shorthand)
{
	return VECTOR | delivery_mode << APIC_ICR_DELIVERY_MODE_SHIFT |
	       (logical ? APIC_ICR_LOGICAL : 0) | shorthand << APIC_ICR_SHORTHAND_SHIFT;
}

static void xapic_write(unsigned i, uint32_t offset, uint32_t value)
{
	assert_int_equal(vlapic_mmio_write(m.vl[i], offset, 4, value), VLAPIC_OK);
}

/* SVR = 0x1FF (software-enabled, spurious vector 0xFF) or 0xFF (software-disabled). */
static void set_sw_enabled(unsigned i, bool enabled)
{
	uint32_t svr = enabled ? 0x1FFu : 0xFFu;

	if (vlapic_x2apic_mode(m.vl[i]))
		assert_int_equal(vlapic_msr_write(m.vl[i], X2APIC_SVR_MSR, svr), VLAPIC_OK);
	else
		xapic_write(i, APIC_SVR, svr);
	assert_int_equal(vlapic_sw_enabled(m.vl[i]), enabled);
}

static void hw_disable(unsigned i)
{
	assert_true(vlapic_set_apic_base(m.vl[i], 0));
	assert_false(vlapic_hw_enabled(m.vl[i]));
}

static void machine_down(void)
{
	for (unsigned i = 0; i < APIC_BUS_MAX; i++) {
		vlapic_destroy(m.vl[i]);
		m.vl[i] = NULL;
	}
	apic_bus_destroy(m.bus);
	memset(&m, 0, sizeof(m));
}

static void send_ipi(void *ctx, uint32_t icr_low, uint32_t destination);

static const struct vlapic_ops ops = { .send_ipi = send_ipi };

/*
 * n vCPUs, vCPU i with APIC ID ids[i] (NULL: i), all software-enabled with TPR 0, configured as
 * `setup` says, attached to a fresh bus as vCPU i.
 */
static void machine_up_ids(unsigned n, enum apic_setup setup, const uint32_t *ids)
{
	machine_down();
	m.n = n;
	m.bus = apic_bus_create();
	assert_non_null(m.bus);
	for (unsigned i = 0; i < n; i++) {
		bool x2apic = setup == X2APIC || (setup == MIXED && i >= 4);

		vcpu_numbers[i] = i;
		m.vl[i] = vlapic_create(ids ? ids[i] : i, i == 0, pages[i], TSC_HZ, &ops,
					&vcpu_numbers[i]);
		assert_non_null(m.vl[i]);
		if (x2apic) {
			assert_true(vlapic_set_apic_base(m.vl[i], BASE_X2APIC));
		} else if (setup == XAPIC_CLUSTER) {
			xapic_write(i, APIC_DFR, DFR_CLUSTER);
			xapic_write(i, APIC_LDR, ((i / 4) << 4 | 1u << (i % 4)) << 24);
		} else {
			xapic_write(i, APIC_DFR, DFR_FLAT);
			xapic_write(i, APIC_LDR, (1u << i) << 24);
		}
		set_sw_enabled(i, true);
		assert_true(apic_bus_attach(m.bus, i, m.vl[i]));
	}
	assert_int_equal(apic_bus_attached(m.bus), all(n));
}

static void machine_up(unsigned n, enum apic_setup setup)
{
	machine_up_ids(n, setup, NULL);
}

/* The vLAPIC's IPI op: route through the bus and deliver fixed interrupts (the caller's job). */
static void send_ipi(void *ctx, uint32_t icr_low, uint32_t destination)
{
	unsigned sender = *(const unsigned *)ctx;
	uint32_t targets = apic_bus_route_ipi(m.bus, sender, icr_low, destination);
	unsigned mode = (icr_low >> APIC_ICR_DELIVERY_MODE_SHIFT) & 7u;

	m.routed[sender].calls++;
	m.routed[sender].targets |= targets;
	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		if ((targets & APIC_BUS_VCPU(i)) && (mode == APIC_DELIVERY_FIXED ||
						      mode == APIC_DELIVERY_LOWEST_PRIORITY))
			vlapic_set_irq(m.vl[i], icr_low & APIC_ICR_VECTOR_MASK, false);
}

static int teardown(void **state)
{
	(void)state;
	machine_down();
	return 0;
}

#define expect_set(got, want, ...)                                                               \
	do {                                                                                     \
		uint32_t got_ = (got), want_ = (want);                                           \
		if (got_ != want_) {                                                             \
			print_error(__VA_ARGS__);                                                \
			fail_msg("got set %#x, want %#x", got_, want_);                          \
		}                                                                                \
	} while (0)

/* ---- the bus itself -------------------------------------------------------------------------- */

static void test_attach_and_pool(void **state)
{
	struct apic_bus *second, *third;

	(void)state;
	machine_up(2, XAPIC_FLAT);
	assert_false(apic_bus_attach(m.bus, 0, m.vl[1]));            /* taken */
	assert_false(apic_bus_attach(m.bus, APIC_BUS_MAX, m.vl[1])); /* out of range */
	assert_false(apic_bus_attach(m.bus, 5, NULL));
	assert_ptr_equal(apic_bus_vlapic(m.bus, 0), m.vl[0]);
	assert_ptr_equal(apic_bus_vlapic(m.bus, 1), m.vl[1]);
	assert_null(apic_bus_vlapic(m.bus, 2));
	assert_null(apic_bus_vlapic(m.bus, APIC_BUS_MAX));
	assert_int_equal(apic_bus_attached(m.bus), 0x3);

	/* vCPU numbers need not be dense. */
	apic_bus_detach(m.bus, 0);
	apic_bus_detach(m.bus, APIC_BUS_MAX); /* nothing */
	assert_int_equal(apic_bus_attached(m.bus), 0x2);
	assert_true(apic_bus_attach(m.bus, 7, m.vl[0]));
	assert_int_equal(apic_bus_attached(m.bus), 0x82);
	expect_set(apic_bus_message_destinations(m.bus, 0, false), 0x80, "APIC ID 0 is vCPU 7");
	expect_set(apic_bus_message_destinations(m.bus, 0xFF, false), 0x82, "broadcast");

	/* A pool of APIC_BUS_MAX_INSTANCES buses; a destroyed one comes back empty. */
	second = apic_bus_create();
	assert_non_null(second);
	assert_null(apic_bus_create());
	assert_int_equal(apic_bus_attached(second), 0);
	apic_bus_destroy(second);
	third = apic_bus_create();
	assert_ptr_equal(third, second);
	assert_int_equal(apic_bus_attached(third), 0);
	assert_int_equal(apic_bus_stats(third)->ipis, 0);
	apic_bus_destroy(third);
}

/* ---- shorthands (§11.6.1 "Destination Shorthand") -------------------------------------------- */

static const struct shorthand_case {
	const char *name;
	unsigned shorthand;
	bool self, others;
} shorthand_cases[] = {
	{ "self", APIC_SHORTHAND_SELF, true, false },
	{ "all including self", APIC_SHORTHAND_ALL_INCLUDING_SELF, true, true },
	{ "all excluding self", APIC_SHORTHAND_ALL_EXCLUDING_SELF, false, true },
};

static const enum apic_setup setups[] = { XAPIC_FLAT, XAPIC_CLUSTER, X2APIC, MIXED };

/* Every sender, every shorthand, on the machine that is up. */
static void check_shorthands(unsigned setup)
{
	unsigned n = m.n;

	for (unsigned sender = 0; sender < n; sender++) {
		uint32_t self = APIC_BUS_VCPU(sender);
		/* The destination field and mode are ignored: a physical destination naming
		 * another vCPU, a logical one naming nobody, broadcasts. */
		uint32_t dests[] = { (sender + 1) % n, 0, 0xFF, 0xFFFFFFFF };

		for (unsigned k = 0; k < ARRAY_SIZE(shorthand_cases); k++) {
			const struct shorthand_case *t = &shorthand_cases[k];
			uint32_t want = (t->self ? self : 0) | (t->others ? all(n) & ~self : 0);
			uint32_t fixed = icr(APIC_DELIVERY_FIXED, false, t->shorthand);

			for (unsigned logical = 0; logical < 2; logical++) {
				uint32_t ipi = icr(APIC_DELIVERY_FIXED, logical, t->shorthand);

				for (unsigned d = 0; d < ARRAY_SIZE(dests); d++)
					expect_set(apic_bus_ipi_destinations(m.bus, sender, ipi,
									     dests[d]),
						   want, "setup %u n=%u sender %u %s dest %#x "
						   "logical %u\n", setup, n, sender, t->name,
						   dests[d], logical);
			}
			/* Routing leaves out the sender (its vLAPIC did its part). */
			expect_set(apic_bus_route_ipi(m.bus, sender, fixed, 0), want & ~self,
				   "route: setup %u n=%u sender %u %s\n", setup, n, sender,
				   t->name);
		}
	}
}

static void test_shorthands(void **state)
{
	(void)state;
	for (unsigned s = 0; s < ARRAY_SIZE(setups); s++) {
		for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
			machine_up(vcpu_counts[c], setups[s]);
			check_shorthands(s);
		}
	}
}

/* A hardware-disabled vLAPIC is in no shorthand's set, not even its own "self". */
static void test_shorthands_skip_hw_disabled(void **state)
{
	(void)state;
	for (unsigned c = 1; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];
		unsigned off = n - 1;
		uint32_t on = all(n) & ~APIC_BUS_VCPU(off);

		machine_up(n, XAPIC_FLAT);
		hw_disable(off);
		expect_set(apic_bus_ipi_destinations(m.bus, 0, icr(APIC_DELIVERY_FIXED, false,
						     APIC_SHORTHAND_ALL_INCLUDING_SELF), 0),
			   on, "n=%u all including\n", n);
		expect_set(apic_bus_ipi_destinations(m.bus, 0, icr(APIC_DELIVERY_INIT, false,
						     APIC_SHORTHAND_ALL_EXCLUDING_SELF), 0),
			   on & ~1u, "n=%u all excluding\n", n);
		expect_set(apic_bus_ipi_destinations(m.bus, off, icr(APIC_DELIVERY_FIXED, false,
						     APIC_SHORTHAND_SELF), 0),
			   0, "n=%u self of a disabled APIC\n", n);
		expect_set(apic_bus_ipi_destinations(m.bus, off, icr(APIC_DELIVERY_FIXED, false,
						     APIC_SHORTHAND_ALL_INCLUDING_SELF), 0),
			   on, "n=%u all including, sender disabled\n", n);
	}
}

/* ---- physical destinations (§11.6.2.1) ------------------------------------------------------- */

/* 8-bit destinations: xAPIC ICR[63:56], I/O APIC RTEs, MSIs. Expected sets for 8 vCPUs with
 * APIC IDs 0-7. */
static const struct dest_case {
	uint32_t destination;
	uint32_t want8;
} physical8_cases[] = {
	{ 0, 0x01 }, { 1, 0x02 }, { 2, 0x04 }, { 3, 0x08 },
	{ 4, 0x10 }, { 5, 0x20 }, { 6, 0x40 }, { 7, 0x80 },
	{ 8, 0 }, { 0x0F, 0 }, { 0x10, 0 }, { 0x80, 0 }, { 0xFE, 0 }, /* absent IDs */
	{ 0xFF, 0xFF },                                               /* broadcast */
	{ 0x100, 0x01 }, { 0x1FF, 0xFF },                             /* bits above 7 ignored */
};

static void test_physical_xapic(void **state)
{
	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		machine_up(n, XAPIC_FLAT);
		for (unsigned k = 0; k < ARRAY_SIZE(physical8_cases); k++) {
			const struct dest_case *t = &physical8_cases[k];
			uint32_t want = t->want8 & all(n);

			for (unsigned sender = 0; sender < n; sender++)
				expect_set(apic_bus_ipi_destinations(m.bus, sender,
					   icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE),
					   t->destination),
					   want, "n=%u sender %u dest %#x\n", n, sender,
					   t->destination);
			expect_set(apic_bus_message_destinations(m.bus, t->destination, false),
				   want, "message n=%u dest %#x\n", n, t->destination);
		}
	}
}

/* 32-bit x2APIC destinations (§11.12.9): 0xFF is APIC ID 255, not a broadcast; 0x100 is not
 * APIC ID 0. */
static const struct dest_case physical32_cases[] = {
	{ 0, 0x01 }, { 1, 0x02 }, { 2, 0x04 }, { 3, 0x08 },
	{ 4, 0x10 }, { 5, 0x20 }, { 6, 0x40 }, { 7, 0x80 },
	{ 8, 0 }, { 0xFE, 0 }, { 0xFF, 0 }, { 0x100, 0 }, { 0x107, 0 }, { 0xFFFFFFFE, 0 },
	{ 0xFFFFFFFF, 0xFF },
};

static void test_physical_x2apic(void **state)
{
	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		machine_up(n, X2APIC);
		for (unsigned k = 0; k < ARRAY_SIZE(physical32_cases); k++) {
			const struct dest_case *t = &physical32_cases[k];

			for (unsigned sender = 0; sender < n; sender++)
				expect_set(apic_bus_ipi_destinations(m.bus, sender,
					   icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE),
					   t->destination),
					   t->want8 & all(n), "n=%u sender %u dest %#x\n", n,
					   sender, t->destination);
		}
		/* Messages stay 8-bit: their 0xFF is a broadcast for x2APIC vLAPICs too. */
		for (unsigned k = 0; k < ARRAY_SIZE(physical8_cases); k++)
			expect_set(apic_bus_message_destinations(m.bus,
							 physical8_cases[k].destination, false),
				   physical8_cases[k].want8 & all(n), "message n=%u dest %#x\n", n,
				   physical8_cases[k].destination);
	}
}

/* APIC IDs are not vCPU numbers: the set names vCPUs. */
static void test_physical_ids_permuted(void **state)
{
	static const uint32_t ids[APIC_BUS_MAX] = { 6, 0, 7, 2, 5, 1, 4, 3 };

	(void)state;
	machine_up_ids(APIC_BUS_MAX, XAPIC_FLAT, ids);
	for (unsigned i = 0; i < APIC_BUS_MAX; i++) {
		expect_set(apic_bus_message_destinations(m.bus, ids[i], false), APIC_BUS_VCPU(i),
			   "APIC ID %u\n", ids[i]);
		expect_set(apic_bus_route_ipi(m.bus, (i + 1) % APIC_BUS_MAX,
					      icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE),
					      ids[i]),
			   APIC_BUS_VCPU(i), "IPI to APIC ID %u\n", ids[i]);
	}
	machine_up_ids(APIC_BUS_MAX, X2APIC, ids);
	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		expect_set(apic_bus_ipi_destinations(m.bus, 0, icr(APIC_DELIVERY_NMI, false,
						     APIC_SHORTHAND_NONE), ids[i]),
			   APIC_BUS_VCPU(i), "x2APIC ID %u\n", ids[i]);
}

/* ---- logical destinations (§11.6.2.2, §11.12.10) --------------------------------------------- */

/* xAPIC flat (DFR 0xFFFFFFFF): vCPU i has LDR bit i; a vCPU is a destination when the MDA and
 * its logical ID share a bit. */
static const struct dest_case flat_cases[] = {
	{ 0x01, 0x01 }, { 0x02, 0x02 }, { 0x04, 0x04 }, { 0x08, 0x08 },
	{ 0x10, 0x10 }, { 0x20, 0x20 }, { 0x40, 0x40 }, { 0x80, 0x80 },
	{ 0x03, 0x03 }, { 0x0F, 0x0F }, { 0xAA, 0xAA }, { 0x7E, 0x7E }, { 0xF0, 0xF0 },
	{ 0x00, 0 },
	{ 0xFF, 0xFF }, /* broadcast (and every bit) */
};

/* xAPIC cluster (DFR 0x0FFFFFFF): vCPU i in cluster i/4 with member bit i%4. */
static const struct dest_case cluster_cases[] = {
	{ 0x01, 0x01 }, { 0x02, 0x02 }, { 0x04, 0x04 }, { 0x08, 0x08 },
	{ 0x11, 0x10 }, { 0x12, 0x20 }, { 0x14, 0x40 }, { 0x18, 0x80 },
	{ 0x0F, 0x0F }, { 0x1F, 0xF0 }, { 0x05, 0x05 }, { 0x1A, 0xA0 },
	{ 0x00, 0 }, { 0x10, 0 },             /* a cluster, no members */
	{ 0x21, 0 }, { 0x2F, 0 }, { 0xEF, 0 }, /* clusters nobody is in */
	{ 0xF1, 0 },                          /* cluster 15, not a broadcast */
	{ 0xFF, 0xFF },                       /* broadcast */
};

/* x2APIC cluster: with APIC IDs (i/4)*16 + i%4, vCPUs 0-3 are cluster 0 members 0-3 and vCPUs
 * 4-7 cluster 1 members 0-3 (LDR derived from the ID, §11.12.10.2). */
static const uint32_t two_cluster_ids[APIC_BUS_MAX] = { 0x00, 0x01, 0x02, 0x03,
							0x10, 0x11, 0x12, 0x13 };
static const struct dest_case x2apic_cluster_cases[] = {
	{ 0x00000001, 0x01 }, { 0x00000002, 0x02 }, { 0x00000004, 0x04 }, { 0x00000008, 0x08 },
	{ 0x00010001, 0x10 }, { 0x00010002, 0x20 }, { 0x00010004, 0x40 }, { 0x00010008, 0x80 },
	{ 0x0000000F, 0x0F }, { 0x0001000F, 0xF0 }, { 0x0000FFFF, 0x0F }, { 0x00010005, 0x50 },
	{ 0x00000000, 0 }, { 0x00010000, 0 },      /* no member bits */
	{ 0x00000010, 0 }, { 0x0001FFF0, 0 },      /* members nobody is */
	{ 0x00020001, 0 }, { 0xFFFF0001, 0 },      /* clusters nobody is in */
	{ 0x000000FF, 0x0F },                      /* not a broadcast: cluster 0, members 0-7 */
	{ 0xFFFFFFFF, 0xFF },                      /* broadcast */
};

static void check_logical(enum apic_setup setup, const uint32_t *ids,
			  const struct dest_case *cases, size_t count)
{
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		machine_up_ids(n, setup, ids);
		for (size_t k = 0; k < count; k++) {
			const struct dest_case *t = &cases[k];
			uint32_t want = t->want8 & all(n);

			for (unsigned sender = 0; sender < n; sender++)
				expect_set(apic_bus_ipi_destinations(m.bus, sender,
					   icr(APIC_DELIVERY_FIXED, true, APIC_SHORTHAND_NONE),
					   t->destination),
					   want, "setup %u n=%u sender %u logical dest %#x\n",
					   setup, n, sender, t->destination);
			if (setup != X2APIC)
				expect_set(apic_bus_message_destinations(m.bus, t->destination,
									 true),
					   want, "message setup %u n=%u logical dest %#x\n", setup,
					   n, t->destination);
		}
	}
}

static void test_logical_xapic_flat(void **state)
{
	(void)state;
	check_logical(XAPIC_FLAT, NULL, flat_cases, ARRAY_SIZE(flat_cases));
}

static void test_logical_xapic_cluster(void **state)
{
	(void)state;
	check_logical(XAPIC_CLUSTER, NULL, cluster_cases, ARRAY_SIZE(cluster_cases));
}

static void test_logical_x2apic_cluster(void **state)
{
	(void)state;
	machine_up_ids(APIC_BUS_MAX, X2APIC, two_cluster_ids);
	for (unsigned i = 0; i < APIC_BUS_MAX; i++) {
		uint64_t ldr = 0;

		assert_int_equal(vlapic_msr_read(m.vl[i], X2APIC_LDR_MSR, &ldr), VLAPIC_OK);
		assert_int_equal(ldr, apic_x2apic_logical_id(two_cluster_ids[i]));
	}
	check_logical(X2APIC, two_cluster_ids, x2apic_cluster_cases,
		      ARRAY_SIZE(x2apic_cluster_cases));
}

/* An 8-bit logical message to x2APIC vLAPICs is read as an x2APIC logical ID (cluster 0,
 * members in bits 7:0); 0xFF stays the broadcast. */
static void test_logical_message_to_x2apic(void **state)
{
	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		machine_up_ids(n, X2APIC, two_cluster_ids);
		expect_set(apic_bus_message_destinations(m.bus, 0x05, true), 0x05 & all(n),
			   "n=%u\n", n);
		expect_set(apic_bus_message_destinations(m.bus, 0xF0, true), 0, "n=%u\n", n);
		expect_set(apic_bus_message_destinations(m.bus, 0xFF, true), all(n), "n=%u\n", n);
	}
}

/* A vLAPIC whose logical ID is 0 is reached by the broadcast only (xAPIC flat: 0xFF matches
 * every APIC whatever its LDR, vlapic.c's choice), and a DFR model that is neither flat nor
 * cluster by nothing logical but the broadcast. */
static void test_logical_broadcast_reaches_unset_ldr(void **state)
{
	(void)state;
	machine_up(4, XAPIC_FLAT);
	xapic_write(2, APIC_LDR, 0);
	expect_set(apic_bus_message_destinations(m.bus, 0x7F, true), 0x0B, "0x7F");
	expect_set(apic_bus_message_destinations(m.bus, 0xFF, true), 0x0F, "broadcast");
	xapic_write(3, APIC_DFR, 0x5FFFFFFF);
	expect_set(apic_bus_message_destinations(m.bus, 0x0F, true), 0x03, "odd DFR");
	expect_set(apic_bus_message_destinations(m.bus, 0xFF, true), 0x0F, "odd DFR broadcast");
}

/* ---- broadcast in every mode ----------------------------------------------------------------- */

static void test_broadcast_every_mode(void **state)
{
	static const struct {
		enum apic_setup setup;
		uint32_t destination; /* in the senders' format */
	} cases[] = {
		{ XAPIC_FLAT, 0xFF }, { XAPIC_CLUSTER, 0xFF }, { X2APIC, 0xFFFFFFFF },
	};

	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++) {
		for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
			unsigned n = vcpu_counts[c];

			machine_up(n, cases[k].setup);
			for (unsigned logical = 0; logical < 2; logical++) {
				for (unsigned sender = 0; sender < n; sender++) {
					uint32_t ipi = icr(APIC_DELIVERY_FIXED, logical,
							   APIC_SHORTHAND_NONE);

					expect_set(apic_bus_ipi_destinations(m.bus, sender, ipi,
									     cases[k].destination),
						   all(n), "setup %u n=%u logical %u sender %u\n",
						   cases[k].setup, n, logical, sender);
					expect_set(apic_bus_route_ipi(m.bus, sender, ipi,
								      cases[k].destination),
						   all(n) & ~APIC_BUS_VCPU(sender),
						   "route setup %u n=%u logical %u sender %u\n",
						   cases[k].setup, n, logical, sender);
				}
				expect_set(apic_bus_message_destinations(m.bus, 0xFF, logical),
					   all(n), "message setup %u n=%u logical %u\n",
					   cases[k].setup, n, logical);
			}
		}
	}
}

/* ---- mixed xAPIC / x2APIC machines ----------------------------------------------------------- */

/* vCPUs 0-3 in xAPIC mode (flat LDR bit i), 4-7 in x2APIC mode (cluster 0, member bit i),
 * APIC IDs 0-7. */
static void test_mixed_modes(void **state)
{
	static const struct {
		const char *name;
		unsigned sender;
		bool logical;
		uint32_t destination;
		uint32_t want;
	} cases[] = {
		{ "xAPIC broadcast", 0, false, 0xFF, 0xFF },
		{ "xAPIC logical broadcast", 1, true, 0xFF, 0xFF },
		{ "x2APIC broadcast", 4, false, 0xFFFFFFFF, 0xFF },
		{ "x2APIC logical broadcast", 5, true, 0xFFFFFFFF, 0xFF },
		{ "xAPIC sender to x2APIC ID 5", 0, false, 5, 0x20 },
		{ "xAPIC sender to xAPIC ID 2", 0, false, 2, 0x04 },
		{ "x2APIC sender to xAPIC ID 2", 4, false, 2, 0x04 },
		{ "x2APIC sender to x2APIC ID 6", 4, false, 6, 0x40 },
		{ "x2APIC 0xFF is ID 255, no broadcast", 4, false, 0xFF, 0 },
		{ "x2APIC 0x102 is not xAPIC ID 2", 4, false, 0x102, 0 },
		{ "x2APIC 0x1FF is not the xAPIC broadcast", 4, false, 0x1FF, 0 },
		{ "x2APIC logical 0xFF: cluster 0 members 0-7, x2APIC ones", 4, true, 0xFF, 0xF0 },
		{ "x2APIC logical 0x0F: flat 0x0F for xAPIC ones", 4, true, 0x0F, 0x0F },
		{ "x2APIC logical cluster 1", 4, true, 0x000100FF, 0 },
		{ "xAPIC logical 0x30 (flat bits 4,5; x2APIC members 4,5)", 0, true, 0x30, 0x30 },
		{ "xAPIC logical 0x0C", 0, true, 0x0C, 0x0C },
	};

	(void)state;
	machine_up(APIC_BUS_MAX, MIXED);
	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		assert_int_equal(vlapic_x2apic_mode(m.vl[i]), i >= 4);
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++)
		expect_set(apic_bus_ipi_destinations(m.bus, cases[k].sender,
						     icr(APIC_DELIVERY_FIXED, cases[k].logical,
							 APIC_SHORTHAND_NONE),
						     cases[k].destination),
			   cases[k].want, "%s\n", cases[k].name);
	/* Messages: 8-bit, 0xFF the broadcast for both kinds. */
	expect_set(apic_bus_message_destinations(m.bus, 0xFF, false), 0xFF, "message broadcast");
	expect_set(apic_bus_message_destinations(m.bus, 6, false), 0x40, "message to ID 6");
	expect_set(apic_bus_message_destinations(m.bus, 1, false), 0x02, "message to ID 1");
}

/* ---- disabled vLAPICs ------------------------------------------------------------------------ */

/* Hardware-disabled: no destination of any kind; the others are unaffected. */
static void test_hw_disabled_never_a_target(void **state)
{
	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];
		unsigned off = n / 2;
		uint32_t on = all(n) & ~APIC_BUS_VCPU(off);

		for (unsigned s = 0; s < ARRAY_SIZE(setups); s++) {
			unsigned from = (off + 1) % n;

			machine_up(n, setups[s]);
			hw_disable(off);
			expect_set(apic_bus_message_destinations(m.bus, off, false), 0,
				   "setup %u n=%u physical\n", s, n);
			expect_set(apic_bus_message_destinations(m.bus, 0xFF, false), on,
				   "setup %u n=%u broadcast\n", s, n);
			expect_set(apic_bus_message_destinations(m.bus, 0xFF, true), on,
				   "setup %u n=%u logical broadcast\n", s, n);
			expect_set(apic_bus_ipi_destinations(m.bus, from,
					icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE),
					vlapic_x2apic_mode(m.vl[from]) ? 0xFFFFFFFF : 0xFF),
				   on, "setup %u n=%u IPI broadcast\n", s, n);
			expect_set(apic_bus_ipi_destinations(m.bus, from,
					icr(APIC_DELIVERY_INIT, false,
					    APIC_SHORTHAND_ALL_EXCLUDING_SELF), 0),
				   on & ~APIC_BUS_VCPU(from),
				   "setup %u n=%u all excluding\n", s, n);
			if (on)
				assert_int_not_equal(apic_bus_lowest_priority(m.bus, all(n)), -1);
			assert_int_equal(apic_bus_lowest_priority(m.bus, APIC_BUS_VCPU(off)), -1);
		}
	}
}

/* Software-disabled: still a destination (it takes NMI, INIT, SIPI; discarding fixed
 * interrupts is its own acceptance, §11.4.7.2), for every destination kind. */
static void test_sw_disabled_still_a_destination(void **state)
{
	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];
		unsigned off = n - 1;
		uint32_t bit = APIC_BUS_VCPU(off);

		machine_up(n, XAPIC_FLAT);
		set_sw_enabled(off, false);
		expect_set(apic_bus_message_destinations(m.bus, off, false), bit, "n=%u phys\n", n);
		expect_set(apic_bus_message_destinations(m.bus, 1u << off, true), bit,
			   "n=%u logical\n", n);
		expect_set(apic_bus_message_destinations(m.bus, 0xFF, false), all(n),
			   "n=%u broadcast\n", n);
		expect_set(apic_bus_ipi_destinations(m.bus, 0, icr(APIC_DELIVERY_INIT, false,
						     APIC_SHORTHAND_ALL_INCLUDING_SELF), 0),
			   all(n), "n=%u all including\n", n);
		expect_set(apic_bus_route_message(m.bus, off, false, APIC_DELIVERY_NMI), bit,
			   "n=%u NMI routed\n", n);
		expect_set(apic_bus_route_message(m.bus, off, false, APIC_DELIVERY_FIXED), bit,
			   "n=%u fixed routed (the vLAPIC discards it)\n", n);
		/* ... and the vLAPIC, not the bus, refuses the fixed interrupt. */
		assert_false(vlapic_set_irq(m.vl[off], VECTOR, false));
		assert_int_equal(vlapic_stats(m.vl[off])->dropped_disabled, 1);
	}
}

/* ---- lowest priority (§11.6.2.4) ------------------------------------------------------------- */

/*
 * One arbitration: TPRs of vCPUs 0-7 (PPR = TPR: nothing in service), which are software-
 * disabled, the candidate set, the winner.
 */
static const struct lowest_case {
	const char *name;
	uint8_t tpr[APIC_BUS_MAX];
	uint32_t sw_disabled;
	uint32_t candidates;
	int winner;
} lowest_cases[] = {
	{ "all equal: lowest vCPU", { 0 }, 0, 0xFF, 0 },
	{ "all equal, subset: lowest of it", { 0 }, 0, 0xB4, 2 },
	{ "one lowest", { 0x20, 0x20, 0x20, 0x10, 0x20, 0x20, 0x20, 0x20 }, 0, 0xFF, 3 },
	{ "tie: lowest vCPU of the tie", { 0x30, 0x10, 0x20, 0x10, 0x30, 0x10, 0x20, 0x10 }, 0,
	  0xFF, 1 },
	{ "tie outside the set ignored", { 0x30, 0x10, 0x20, 0x10, 0x30, 0x10, 0x20, 0x10 }, 0,
	  0xF5, 5 },
	{ "last vCPU lowest", { 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80 }, 0, 0xFF, 7 },
	{ "same class, sub-class decides", { 0x4F, 0x43, 0x41, 0x44, 0x4F, 0x4F, 0x42, 0x4F }, 0,
	  0xFF, 2 },
	{ "sub-class against class", { 0x1F, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20 }, 0, 0xFF,
	  0 },
	{ "one candidate, highest TPR", { 0, 0, 0, 0, 0, 0xFF, 0, 0 }, 0, 0x20, 5 },
	{ "software-disabled lowest loses", { 0x80, 0x00, 0x90, 0x80, 0x80, 0x80, 0x80, 0x80 },
	  0x02, 0xFF, 0 },
	{ "enabled ones only compete", { 0x00, 0x00, 0xF0, 0x10, 0x10, 0x10, 0x10, 0x10 }, 0x03,
	  0x0F, 3 },
	{ "none enabled: lowest of the disabled",
	  { 0x50, 0x40, 0x30, 0x40, 0x60, 0x60, 0x60, 0x60 }, 0xFF, 0xFF, 2 },
	{ "none of the set enabled", { 0x50, 0x40, 0x30, 0x40, 0, 0, 0, 0 }, 0x0F, 0x0F, 2 },
	{ "no candidates", { 0 }, 0, 0, -1 },
};

static void set_tprs(const uint8_t *tpr, uint32_t sw_disabled)
{
	for (unsigned i = 0; i < m.n; i++) {
		vlapic_set_tpr(m.vl[i], tpr[i]);
		if (sw_disabled & APIC_BUS_VCPU(i))
			set_sw_enabled(i, false);
		assert_int_equal(vlapic_ppr(m.vl[i]), tpr[i]);
	}
}

/* The winner on a machine of n vCPUs: the table's rule applied to the part of the set that
 * exists, so each row is checked on every vCPU count. */
static int expected_winner(const struct lowest_case *t, unsigned n)
{
	uint32_t set = t->candidates & all(n);
	uint32_t enabled = set & ~t->sw_disabled;
	int best = -1;

	if (enabled)
		set = enabled;
	for (unsigned i = 0; i < n; i++)
		if ((set & APIC_BUS_VCPU(i)) && (best < 0 || t->tpr[i] < t->tpr[best]))
			best = (int)i;
	return best;
}

static void test_lowest_priority_table(void **state)
{
	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(lowest_cases); k++) {
		const struct lowest_case *t = &lowest_cases[k];

		/* The table's own answer for 8 vCPUs, so the reference model is checked too. */
		assert_int_equal(expected_winner(t, APIC_BUS_MAX), t->winner);
		for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
			unsigned n = vcpu_counts[c];
			int want = expected_winner(t, n);
			int got;

			for (unsigned s = 0; s < ARRAY_SIZE(setups); s++) {
				machine_up(n, setups[s]);
				set_tprs(t->tpr, t->sw_disabled);
				got = apic_bus_lowest_priority(m.bus, t->candidates);
				if (got != want)
					fail_msg("%s: setup %u n=%u: vCPU %d, want %d", t->name, s,
						 n, got, want);
				/* The same choice, counted, through a message to the whole set. */
				if (t->candidates == 0xFF) {
					expect_set(apic_bus_route_message(m.bus, 0xFF, false,
							APIC_DELIVERY_LOWEST_PRIORITY),
						   APIC_BUS_VCPU(want), "%s: n=%u LP broadcast\n",
						   t->name, n);
					assert_int_equal(apic_bus_stats(m.bus)->lowest_priority, 1);
					assert_int_equal(
						apic_bus_stats(m.bus)->lowest_priority_none_enabled,
						(t->sw_disabled & all(n)) == all(n));
				}
			}
		}
	}
}

/* PPR, not TPR alone: a vCPU servicing a high-class interrupt runs at that priority. */
static void test_lowest_priority_counts_in_service(void **state)
{
	(void)state;
	for (unsigned c = 1; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		machine_up(n, XAPIC_FLAT);
		for (unsigned i = 1; i < n; i++)
			vlapic_set_tpr(m.vl[i], 0x40);
		assert_int_equal(apic_bus_lowest_priority(m.bus, all(n)), 0);
		/* vCPU 0 (TPR 0) takes vector 0x80 into service: PPR 0x80 > 0x40. */
		assert_true(vlapic_set_irq(m.vl[0], 0x80, false));
		assert_int_equal(vlapic_acknowledge(m.vl[0]), 0x80);
		assert_int_equal(vlapic_ppr(m.vl[0]), 0x80);
		assert_int_equal(vlapic_tpr(m.vl[0]), 0);
		assert_int_equal(apic_bus_lowest_priority(m.bus, all(n)), 1);
		/* A lower class in service does not lift PPR above the others' TPR. */
		machine_up(n, XAPIC_FLAT);
		for (unsigned i = 1; i < n; i++)
			vlapic_set_tpr(m.vl[i], 0x40);
		assert_true(vlapic_set_irq(m.vl[0], 0x30, false));
		assert_int_equal(vlapic_acknowledge(m.vl[0]), 0x30);
		assert_int_equal(apic_bus_lowest_priority(m.bus, all(n)), 0);
	}
}

/* Lowest-priority routing: exactly one target; the sender keeps an IPI it is a destination of. */
static void test_lowest_priority_routing(void **state)
{
	static const uint8_t tprs[APIC_BUS_MAX] = { 0x30, 0x20, 0x10, 0x20,
						    0x10, 0x00, 0x30, 0x00 };

	(void)state;
	for (unsigned c = 1; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];
		uint32_t lp_excl = icr(APIC_DELIVERY_LOWEST_PRIORITY, false,
				       APIC_SHORTHAND_ALL_EXCLUDING_SELF);
		uint32_t lp_logical = icr(APIC_DELIVERY_LOWEST_PRIORITY, true, APIC_SHORTHAND_NONE);
		const struct apic_bus_stats *st;
		struct lowest_case expect = { .candidates = 0 };
		uint64_t kept = 0, chosen = 0;

		machine_up(n, XAPIC_FLAT);
		st = apic_bus_stats(m.bus);
		set_tprs(tprs, 0);
		memcpy(expect.tpr, tprs, sizeof(tprs));
		for (unsigned sender = 0; sender < n; sender++) {
			/* All excluding self: one of the others (Table 11-3 note 4 allows the
			 * sender too; the bus does not pick it). */
			expect.candidates = all(n) & ~APIC_BUS_VCPU(sender);
			expect_set(apic_bus_route_ipi(m.bus, sender, lp_excl, 0),
				   APIC_BUS_VCPU(expected_winner(&expect, n)),
				   "n=%u sender %u all excluding\n", n, sender);
			chosen++;
			/* Logical, the sender not named: one of those named. */
			expect.candidates = all(n) & ~APIC_BUS_VCPU(sender) & 0x0F;
			if (expect.candidates) {
				expect_set(apic_bus_route_ipi(m.bus, sender, lp_logical,
							      expect.candidates),
					   APIC_BUS_VCPU(expected_winner(&expect, n)),
					   "n=%u sender %u logical\n", n, sender);
				chosen++;
			}
			/* The sender named (logical, physical broadcast, all including self,
			 * self): its vLAPIC took it, nothing for the others. */
			expect_set(apic_bus_route_ipi(m.bus, sender, lp_logical, 0xFF), 0,
				   "n=%u sender %u logical with self\n", n, sender);
			expect_set(apic_bus_route_ipi(m.bus, sender,
						      icr(APIC_DELIVERY_LOWEST_PRIORITY, false,
							  APIC_SHORTHAND_NONE), 0xFF),
				   0, "n=%u sender %u physical broadcast\n", n, sender);
			expect_set(apic_bus_route_ipi(m.bus, sender,
						      icr(APIC_DELIVERY_LOWEST_PRIORITY, false,
							  APIC_SHORTHAND_ALL_INCLUDING_SELF), 0),
				   0, "n=%u sender %u all including\n", n, sender);
			expect_set(apic_bus_route_ipi(m.bus, sender,
						      icr(APIC_DELIVERY_LOWEST_PRIORITY, false,
							  APIC_SHORTHAND_SELF), 0),
				   0, "n=%u sender %u self\n", n, sender);
			kept += 4;
		}
		assert_int_equal(st->lowest_priority, chosen);
		assert_int_equal(st->lowest_priority_kept_by_sender, kept);
		assert_int_equal(st->ipis_no_target, 0);
		/* Messages: one of the named, broadcast included. */
		expect.candidates = 0x06 & all(n);
		expect_set(apic_bus_route_message(m.bus, 0x06, true, APIC_DELIVERY_LOWEST_PRIORITY),
			   APIC_BUS_VCPU(expected_winner(&expect, n)), "n=%u message\n", n);
		expect.candidates = all(n);
		expect_set(apic_bus_route_message(m.bus, 0xFF, true, APIC_DELIVERY_LOWEST_PRIORITY),
			   APIC_BUS_VCPU(expected_winner(&expect, n)), "n=%u message bc\n", n);
		/* The same messages as fixed reach every destination. */
		expect_set(apic_bus_route_message(m.bus, 0x06, true, APIC_DELIVERY_FIXED),
			   0x06 & all(n), "n=%u fixed message\n", n);
		expect_set(apic_bus_route_message(m.bus, 0xFF, true, APIC_DELIVERY_FIXED), all(n),
			   "n=%u fixed message bc\n", n);
		assert_int_equal(st->lowest_priority, chosen + 2);
	}
}

/* A hardware-disabled vLAPIC never wins, even at the lowest PPR (its reset TPR, 0) and when
 * every other candidate is software-disabled (so rule 1 does not already rank it last). */
static void test_lowest_priority_skips_hw_disabled(void **state)
{
	(void)state;
	for (unsigned c = 1; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];

		for (unsigned others_enabled = 0; others_enabled < 2; others_enabled++) {
			const struct apic_bus_stats *st;

			machine_up(n, XAPIC_FLAT);
			st = apic_bus_stats(m.bus);
			for (unsigned i = 0; i < n - 1; i++) {
				vlapic_set_tpr(m.vl[i], 0x80);
				set_sw_enabled(i, others_enabled);
			}
			hw_disable(n - 1);
			assert_int_equal(vlapic_ppr(m.vl[n - 1]), 0);
			assert_int_equal(apic_bus_lowest_priority(m.bus, all(n)), 0);
			assert_int_equal(apic_bus_lowest_priority(m.bus, APIC_BUS_VCPU(n - 1)), -1);
			expect_set(apic_bus_route_message(m.bus, 0xFF, false,
							  APIC_DELIVERY_LOWEST_PRIORITY),
				   1, "n=%u others enabled %u\n", n, others_enabled);
			assert_int_equal(st->lowest_priority_none_enabled, !others_enabled);
			expect_set(apic_bus_route_message(m.bus, n - 1, false,
							  APIC_DELIVERY_LOWEST_PRIORITY),
				   0, "n=%u to the disabled one\n", n);
			assert_int_equal(st->messages_no_target, 1);
			assert_int_equal(st->lowest_priority, 1);
		}
	}
}

/* ---- counters -------------------------------------------------------------------------------- */

static void test_no_target_counted(void **state)
{
	const struct apic_bus_stats *st;

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(vcpu_counts); c++) {
		unsigned n = vcpu_counts[c];
		uint32_t fixed = icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE);

		machine_up(n, XAPIC_FLAT);
		st = apic_bus_stats(m.bus);
		/* To an absent ID, to an empty logical set: reached nobody. */
		expect_set(apic_bus_route_ipi(m.bus, 0, fixed, n), 0, "n=%u absent\n", n);
		expect_set(apic_bus_route_ipi(m.bus, 0, fixed | APIC_ICR_LOGICAL, 0), 0,
			   "n=%u empty logical\n", n);
		/* A logical IPI only the sender matches reached the sender: not "no target". */
		expect_set(apic_bus_route_ipi(m.bus, 0, fixed | APIC_ICR_LOGICAL, 0x01), 0,
			   "n=%u self only\n", n);
		/* All excluding self on one vCPU: nobody. */
		expect_set(apic_bus_route_ipi(m.bus, 0, icr(APIC_DELIVERY_FIXED, false,
							    APIC_SHORTHAND_ALL_EXCLUDING_SELF), 0),
			   all(n) & ~1u, "n=%u all excluding\n", n);
		/* From a vCPU with no vLAPIC. */
		expect_set(apic_bus_route_ipi(m.bus, n, fixed, 0xFF), 0, "n=%u bad sender\n", n);
		expect_set(apic_bus_route_ipi(m.bus, 1000, fixed, 0xFF), 0, "n=%u bad sender\n", n);
		assert_int_equal(st->ipis, 6);
		assert_int_equal(st->ipis_no_target, 2 + (n == 1));
		assert_int_equal(st->bad_senders, 2);

		expect_set(apic_bus_route_message(m.bus, 0xFE, false, APIC_DELIVERY_FIXED), 0,
			   "n=%u message absent\n", n);
		expect_set(apic_bus_route_message(m.bus, 0x00, true, APIC_DELIVERY_FIXED), 0,
			   "n=%u message empty logical\n", n);
		expect_set(apic_bus_route_message(m.bus, 0x00, false, APIC_DELIVERY_NMI), 1,
			   "n=%u message NMI to vCPU 0\n", n);
		assert_int_equal(st->messages, 3);
		assert_int_equal(st->messages_no_target, 2);
		assert_int_equal(st->lowest_priority, 0);
		assert_int_equal(st->lowest_priority_none_enabled, 0);
		assert_int_equal(st->lowest_priority_kept_by_sender, 0);
		/* The destination-set functions count nothing. */
		(void)apic_bus_ipi_destinations(m.bus, 0, fixed, 0xFE);
		(void)apic_bus_message_destinations(m.bus, 0xFE, false);
		(void)apic_bus_lowest_priority(m.bus, all(n));
		assert_int_equal(st->ipis + st->messages + st->lowest_priority, 9);
	}
}

/* The bus reads the shorthand, the destination mode and lowest priority, nothing else of the
 * ICR: vector, level and trigger bits and the other delivery modes give the same set. */
static void test_other_icr_bits_ignored(void **state)
{
	static const unsigned modes[] = { APIC_DELIVERY_FIXED, APIC_DELIVERY_SMI,
					  APIC_DELIVERY_NMI, APIC_DELIVERY_INIT,
					  APIC_DELIVERY_STARTUP };

	(void)state;
	machine_up(APIC_BUS_MAX, XAPIC_CLUSTER);
	for (unsigned k = 0; k < ARRAY_SIZE(modes); k++) {
		for (uint32_t extra = 0; extra < 4; extra++) {
			uint32_t bits = (extra & 1 ? APIC_ICR_LEVEL_ASSERT : 0) |
					(extra & 2 ? APIC_ICR_TRIGGER_LEVEL : 0);
			uint32_t ipi = (icr(modes[k], true, APIC_SHORTHAND_NONE) & ~0xFFu) |
				       (0x10u + 37u * extra) | bits;

			expect_set(apic_bus_ipi_destinations(m.bus, 0, ipi, 0x13), 0x30,
				   "mode %u extra %u\n", modes[k], extra);
			expect_set(apic_bus_route_ipi(m.bus, 4, ipi, 0x13), 0x20,
				   "route mode %u extra %u\n", modes[k], extra);
			expect_set(apic_bus_route_message(m.bus, 0x13, true, (uint8_t)modes[k]),
				   0x30, "message mode %u\n", modes[k]);
		}
	}
}

/* ---- with the vLAPIC's own send path (vlapic_ops.send_ipi) ----------------------------------- */

static bool irr_has(unsigned i, uint8_t vector)
{
	return vlapic_highest_irr(m.vl[i]) == vector;
}

static void xapic_send(unsigned sender, uint32_t icr_low, uint8_t destination)
{
	xapic_write(sender, APIC_ICR_HIGH, (uint32_t)destination << 24);
	xapic_write(sender, APIC_ICR_LOW, icr_low);
}

static void test_end_to_end_with_vlapic(void **state)
{
	unsigned seen;

	(void)state;
	machine_up(4, XAPIC_FLAT);
	/* Logical 0x06 from vCPU 1: its own part locally, vCPU 2 through the bus. */
	xapic_send(1, icr(APIC_DELIVERY_FIXED, true, APIC_SHORTHAND_NONE), 0x06);
	assert_int_equal(m.routed[1].calls, 1);
	expect_set(m.routed[1].targets, 0x04, "fixed logical");
	assert_true(irr_has(1, VECTOR));
	assert_true(irr_has(2, VECTOR));
	assert_int_equal(vlapic_highest_irr(m.vl[0]), -1);
	assert_int_equal(vlapic_highest_irr(m.vl[3]), -1);

	/* Lowest priority, all excluding self, from vCPU 0: vCPU 3 has the lowest TPR. */
	machine_up(4, XAPIC_FLAT);
	vlapic_set_tpr(m.vl[1], 0x20);
	vlapic_set_tpr(m.vl[2], 0x20);
	vlapic_set_tpr(m.vl[3], 0x10);
	xapic_send(0, icr(APIC_DELIVERY_LOWEST_PRIORITY, false,
			  APIC_SHORTHAND_ALL_EXCLUDING_SELF), 0);
	expect_set(m.routed[0].targets, 0x08, "lowest priority");
	seen = 0;
	for (unsigned i = 0; i < 4; i++)
		seen += vlapic_highest_irr(m.vl[i]) == (int)VECTOR;
	assert_int_equal(seen, 1);
	assert_true(irr_has(3, VECTOR));

	/* Lowest priority naming the sender: the vLAPIC keeps it and never asks the bus. */
	xapic_send(2, icr(APIC_DELIVERY_LOWEST_PRIORITY, true, APIC_SHORTHAND_NONE), 0x0C);
	assert_int_equal(m.routed[2].calls, 0);
	assert_true(irr_has(2, VECTOR));
	assert_int_equal(apic_bus_stats(m.bus)->lowest_priority, 1);

	/* x2APIC: a 32-bit physical destination. */
	machine_up_ids(APIC_BUS_MAX, X2APIC, two_cluster_ids);
	assert_int_equal(vlapic_msr_write(m.vl[0], X2APIC_ICR_MSR,
					  (uint64_t)0x12 << 32 |
					  icr(APIC_DELIVERY_FIXED, false, APIC_SHORTHAND_NONE)),
			 VLAPIC_OK);
	expect_set(m.routed[0].targets, 0x40, "x2APIC physical 0x12");
	assert_true(irr_has(6, VECTOR));
	assert_int_equal(apic_bus_stats(m.bus)->ipis, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
	const struct CMUnitTest tests[] = {
		T(test_attach_and_pool),
		T(test_shorthands),
		T(test_shorthands_skip_hw_disabled),
		T(test_physical_xapic),
		T(test_physical_x2apic),
		T(test_physical_ids_permuted),
		T(test_logical_xapic_flat),
		T(test_logical_xapic_cluster),
		T(test_logical_x2apic_cluster),
		T(test_logical_message_to_x2apic),
		T(test_logical_broadcast_reaches_unset_ldr),
		T(test_broadcast_every_mode),
		T(test_mixed_modes),
		T(test_hw_disabled_never_a_target),
		T(test_sw_disabled_still_a_destination),
		T(test_lowest_priority_table),
		T(test_lowest_priority_counts_in_service),
		T(test_lowest_priority_routing),
		T(test_lowest_priority_skips_hw_disabled),
		T(test_no_target_counted),
		T(test_other_icr_bits_ignored),
		T(test_end_to_end_with_vlapic),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
