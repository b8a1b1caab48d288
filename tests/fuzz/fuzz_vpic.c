/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for devices/vpic.c, the 8259A pair and ELCR. The input is a sequence of
 * operations: port writes and reads at 0x20/0x21/0xA0/0xA1/0x4D0/0x4D1 (and now and then a port
 * that is not the vPIC's), whole ICW1–ICW4 initializations, IRQ line levels and pulses, INTA
 * cycles (vpic_acknowledge), ISR reads through OCW3, resets. The fuzzer keeps its own view of
 * what vpic.h and the datasheet make visible (the ICW sequence, IMR, ELCR, vector bases, ICW3,
 * AEOI, the OCW3 read selection and poll, line levels, latched edge requests) and checks:
 *   - an INTA cycle answers exactly one way, as counted: base + level of the master, base +
 *     level of the slave (with the master's IR2 acknowledged), the slave's IRQ7 vector
 *     (spurious IRQ15), 0xFF (no slave answers), or the master's IRQ7 vector (spurious) exactly
 *     when vpic_output() was false;
 *   - an acknowledged or polled IRQ is unmasked and requested: its line is high if it is
 *     level-triggered, a rising edge latched since ICW1 or its last acknowledge if edge (one
 *     interrupt per edge);
 *   - IRR as read at the command port is exactly those requests (master IR2, the cascade, aside);
 *     ISR holds only levels acknowledged since the last ICW1 or specific EOI; IMR and ELCR read
 *     back what was written; a poll word is 0 or 0x80 | level;
 *   - ops->int_changed reports every change of the master's INT once and only changes, with
 *     vpic_output() already the new value, and vpic_output() never changes silently;
 *   - IRQ 2, IRQs above 15 and foreign ports are counted and ignored (foreign reads: 0xFF).
 * A broken invariant prints one line and aborts, which libFuzzer records as a crash.
 */
#include "devices/vpic.h"

#define FUZZ_NAME "fuzz_vpic"
#include "tests/fuzz/fuzz_input.h"

/* ---- the fuzzer's own view of the two chips -------------------------------------------------- */

#define MASTER 0
#define SLAVE 1
#define CASCADE_BIT 0x04u        /* master IR2 */
#define SPURIOUS_LEVEL 7
#define NO_SLAVE_VECTOR 0xFF

/* Ports (vpic.h). */
#define PORT_MASTER_COMMAND 0x20
#define PORT_MASTER_DATA 0x21
#define PORT_SLAVE_COMMAND 0xA0
#define PORT_SLAVE_DATA 0xA1
#define PORT_ELCR1 0x4D0
#define PORT_ELCR2 0x4D1

/* Command bits (8259A datasheet, "Initialization Command Words", "Operation Command Words"). */
#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SELECT 0x10
#define ICW4_AEOI 0x02
#define OCW3_SELECT 0x08
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW2_SPECIFIC_EOI 3
#define OCW2_ROTATE_SPECIFIC_EOI 7
/* PIIX3 ELCR: IRQ 0, 1, 2, 8 and 13 are always edge. */
#define ELCR1_WRITABLE 0xF8
#define ELCR2_WRITABLE 0xDE

enum icw_step { ICW_DONE, ICW_EXPECT_ICW2, ICW_EXPECT_ICW3, ICW_EXPECT_ICW4 };

struct shadow_chip {
	enum icw_step icw_step;
	bool icw4_expected, single, ltim, aeoi;
	uint8_t vector_base, icw3, imr, elcr;
	bool read_isr, poll;
	uint8_t line;            /* line levels as driven by vpic_set_irq (master bit 2 unused) */
	uint8_t edge_latched;    /* edge requests latched and not yet acknowledged */
	uint8_t edge_unknown;    /* edge bits whose latch an unanswered cascade INTA may have
				  * consumed (which one is not visible): not compared */
	uint8_t may_be_in_service; /* levels acknowledged since ICW1 and not specifically EOId */
};

struct fuzz_state {
	struct vpic *pic;
	struct shadow_chip chip[2];
	bool int_reported;       /* the master's INT as last reported through int_changed */
	unsigned int_changes;    /* int_changed calls in the operation in progress */
};

static struct fuzz_state state;

static uint8_t level_triggered(const struct shadow_chip *c)
{
	return c->ltim ? 0xFF : c->elcr;
}

static void shadow_reset(void)
{
	for (unsigned i = 0; i < 2; i++) {
		struct shadow_chip *c = &state.chip[i];

		memset(c, 0, sizeof(*c));
		c->imr = 0xFF;
		c->icw3 = i == MASTER ? CASCADE_BIT : 2;
	}
}

/* ---- fake ops -------------------------------------------------------------------------------- */

static void fake_int_changed(void *ctx, bool asserted)
{
	FUZZ_CHECK(ctx == &state, "int_changed: wrong ctx");
	FUZZ_CHECK(asserted != state.int_reported, "int_changed(%d) repeats the last value",
		   asserted);
	FUZZ_CHECK(vpic_output(state.pic) == asserted,
		   "int_changed(%d) while vpic_output() is %d", asserted, vpic_output(state.pic));
	state.int_reported = asserted;
	state.int_changes++;
}

static const struct vpic_ops fake_ops = { .int_changed = fake_int_changed };

/* ---- checks -------------------------------------------------------------------------------- */

static void begin_operation(void)
{
	state.int_changes = 0;
}

static void check_after_operation(void)
{
	FUZZ_CHECK(state.int_changes <= 1, "int_changed called %u times in one call",
		   state.int_changes);
	FUZZ_CHECK(vpic_output(state.pic) == state.int_reported,
		   "vpic_output() is %d but int_changed last reported %d", vpic_output(state.pic),
		   state.int_reported);
}

/* Level `level` of chip `chip` was acknowledged (INTA cycle or poll): it must have been
 * requested and unmasked; an edge request is consumed. IR2 of the master is the cascade: its
 * request is the slave's INT, not a line the fuzzer drives. */
static void note_acknowledged(unsigned chip, unsigned level, const char *how)
{
	struct shadow_chip *c = &state.chip[chip];
	uint8_t bit = (uint8_t)(1u << level);

	FUZZ_CHECK(!(c->imr & bit), "%s: IRQ %u acknowledged while masked (IMR %#x)", how,
		   chip * 8 + level, c->imr);
	if (!(chip == MASTER && bit == CASCADE_BIT)) {
		if (level_triggered(c) & bit) {
			FUZZ_CHECK(c->line & bit, "%s: level-triggered IRQ %u acknowledged with its "
				   "line low", how, chip * 8 + level);
		} else {
			FUZZ_CHECK((c->edge_latched | c->edge_unknown) & bit,
				   "%s: edge-triggered IRQ %u acknowledged without a rising edge "
				   "since ICW1 or its last acknowledge", how, chip * 8 + level);
			c->edge_latched &= (uint8_t)~bit;
			c->edge_unknown &= (uint8_t)~bit;
		}
	}
	if (!c->aeoi)
		c->may_be_in_service |= bit;
}

/* ---- port access ----------------------------------------------------------------------------- */

static int chip_of_port(uint16_t port)
{
	switch (port) {
	case PORT_MASTER_COMMAND:
	case PORT_MASTER_DATA:
		return MASTER;
	case PORT_SLAVE_COMMAND:
	case PORT_SLAVE_DATA:
		return SLAVE;
	default:
		return -1;
	}
}

static void shadow_command_write(struct shadow_chip *c, bool master, uint8_t value)
{
	if (value & ICW1_SELECT) {
		c->icw_step = ICW_EXPECT_ICW2;
		c->icw4_expected = value & ICW1_IC4;
		c->single = value & ICW1_SNGL;
		c->ltim = value & ICW1_LTIM;
		c->imr = 0;
		c->icw3 = master ? 0 : 7;
		c->read_isr = false;
		c->poll = false;
		if (!c->icw4_expected)
			c->aeoi = false;
		/* "The edge sense circuit is reset": latched edges go; ISR is cleared (vpic.c). */
		c->edge_latched = 0;
		c->edge_unknown = 0;
		c->may_be_in_service = 0;
	} else if (value & OCW3_SELECT) {
		if (value & OCW3_POLL)
			c->poll = true;
		if (value & OCW3_RR)
			c->read_isr = value & OCW3_RIS;
	} else if ((value >> 5) == OCW2_SPECIFIC_EOI || (value >> 5) == OCW2_ROTATE_SPECIFIC_EOI) {
		c->may_be_in_service &= (uint8_t)~(1u << (value & 7));
	}
}

static void shadow_data_write(struct shadow_chip *c, bool master, uint8_t value)
{
	switch (c->icw_step) {
	case ICW_EXPECT_ICW2:
		c->vector_base = value & 0xF8;
		c->icw_step = !c->single ? ICW_EXPECT_ICW3
					 : c->icw4_expected ? ICW_EXPECT_ICW4 : ICW_DONE;
		break;
	case ICW_EXPECT_ICW3:
		c->icw3 = master ? value : value & 7;
		c->icw_step = c->icw4_expected ? ICW_EXPECT_ICW4 : ICW_DONE;
		break;
	case ICW_EXPECT_ICW4:
		c->aeoi = value & ICW4_AEOI;
		c->icw_step = ICW_DONE;
		break;
	case ICW_DONE:
		c->imr = value;
		break;
	}
}

/* ELCR: level-triggered inputs request exactly while their line is high (a latched edge is
 * forgotten); inputs that turn edge with their line high keep the request their level made. */
static void shadow_elcr_write(struct shadow_chip *c, uint8_t value, uint8_t writable)
{
	uint8_t was_level = level_triggered(c);

	c->elcr = value & writable;
	c->edge_latched |= was_level & c->line;
	c->edge_latched &= (uint8_t)~level_triggered(c);
	c->edge_unknown &= (uint8_t)~level_triggered(c);
}

static void do_write(uint16_t port, uint8_t value)
{
	uint64_t bad_before = vpic_stats(state.pic)->bad_ports;
	int chip = chip_of_port(port);

	TRACE("write %#x <- %#x\n", port, value);
	begin_operation();
	vpic_write(state.pic, port, value);
	if (chip >= 0 && (port & 1) == 0)
		shadow_command_write(&state.chip[chip], chip == MASTER, value);
	else if (chip >= 0)
		shadow_data_write(&state.chip[chip], chip == MASTER, value);
	else if (port == PORT_ELCR1)
		shadow_elcr_write(&state.chip[MASTER], value, ELCR1_WRITABLE);
	else if (port == PORT_ELCR2)
		shadow_elcr_write(&state.chip[SLAVE], value, ELCR2_WRITABLE);
	else
		FUZZ_CHECK(vpic_stats(state.pic)->bad_ports == bad_before + 1 &&
			   state.int_changes == 0, "write to foreign port %#x not ignored", port);
	FUZZ_CHECK(vpic_handles_port(port) == (chip >= 0 || port == PORT_ELCR1 ||
					       port == PORT_ELCR2),
		   "vpic_handles_port(%#x) is wrong", port);
	check_after_operation();
}

/* The command port's IRR, as the shadow says it must read (master IR2 not predicted). */
static void check_irr(unsigned chip, uint8_t irr)
{
	const struct shadow_chip *c = &state.chip[chip];
	uint8_t level = level_triggered(c);
	uint8_t compared = (uint8_t)~(chip == MASTER ? CASCADE_BIT : 0) & (uint8_t)~c->edge_unknown;
	uint8_t expected = (uint8_t)((c->line & level) | (c->edge_latched & ~level));

	FUZZ_CHECK((irr & compared) == (expected & compared),
		   "chip %u: IRR reads %#x, requests are %#x (lines %#x, level-triggered %#x, "
		   "latched edges %#x)", chip, irr, expected, c->line, level, c->edge_latched);
}

static uint8_t do_read(uint16_t port)
{
	int chip = chip_of_port(port);
	struct shadow_chip *c = chip >= 0 ? &state.chip[chip] : NULL;
	uint8_t value;

	begin_operation();
	value = vpic_read(state.pic, port);
	TRACE("read %#x -> %#x\n", port, value);
	if (c && c->poll) {
		c->poll = false;
		FUZZ_CHECK(value == 0 || (value & 0xF8) == 0x80,
			   "chip %d: poll word %#x is neither 0 nor 0x80 | level", chip, value);
		if (value)
			note_acknowledged((unsigned)chip, value & 7, "poll");
	} else if (c && (port & 1) == 0) {
		if (c->read_isr)
			FUZZ_CHECK(!(value & ~c->may_be_in_service),
				   "chip %d: ISR %#x has levels never acknowledged (%#x may be in "
				   "service)", chip, value, c->may_be_in_service);
		else
			check_irr((unsigned)chip, value);
		FUZZ_CHECK(state.int_changes == 0, "status read changed INT");
	} else if (c) {
		FUZZ_CHECK(value == c->imr, "chip %d: IMR reads %#x, written %#x", chip, value,
			   c->imr);
	} else if (port == PORT_ELCR1 || port == PORT_ELCR2) {
		uint8_t elcr = state.chip[port == PORT_ELCR1 ? MASTER : SLAVE].elcr;

		FUZZ_CHECK(value == elcr, "ELCR at %#x reads %#x, written %#x", port, value, elcr);
	} else {
		FUZZ_CHECK(value == 0xFF, "foreign port %#x reads %#x", port, value);
	}
	check_after_operation();
	return value;
}

/* ---- lines and the INTA cycle ---------------------------------------------------------------- */

static void do_set_irq(unsigned irq, bool level)
{
	uint64_t ignored_before = vpic_stats(state.pic)->ignored_irqs;

	TRACE("set_irq(%u, %d)\n", irq, level);
	begin_operation();
	vpic_set_irq(state.pic, irq, level);
	if (irq >= VPIC_IRQ_COUNT || irq == 2) {
		FUZZ_CHECK(vpic_stats(state.pic)->ignored_irqs == ignored_before + 1 &&
			   state.int_changes == 0, "vpic_set_irq(%u) not ignored", irq);
	} else {
		struct shadow_chip *c = &state.chip[irq / 8];
		uint8_t bit = (uint8_t)(1u << (irq % 8));

		if (level && !(c->line & bit) && !(level_triggered(c) & bit)) {
			c->edge_latched |= bit;
			c->edge_unknown &= (uint8_t)~bit; /* latched again, whatever happened before */
		}
		if (level)
			c->line |= bit;
		else
			c->line &= (uint8_t)~bit;
	}
	check_after_operation();
}

static void do_acknowledge(void)
{
	struct vpic_stats before = *vpic_stats(state.pic);
	const struct vpic_stats *after;
	struct shadow_chip *master = &state.chip[MASTER], *slave = &state.chip[SLAVE];
	bool output = vpic_output(state.pic);
	unsigned answers = 0;
	int vector;

	begin_operation();
	vector = vpic_acknowledge(state.pic);
	after = vpic_stats(state.pic);
	TRACE("acknowledge -> %#x\n", vector);
	FUZZ_CHECK(vector >= 0 && vector <= 0xFF, "acknowledge returned %d", vector);

	if (after->spurious_master != before.spurious_master) {
		answers++;
		FUZZ_CHECK(!output, "spurious INTA while INT was asserted");
		FUZZ_CHECK(vector == master->vector_base + SPURIOUS_LEVEL,
			   "spurious master INTA gave %#x, base %#x", vector, master->vector_base);
	}
	for (unsigned irq = 0; irq < VPIC_IRQ_COUNT; irq++) {
		if (after->acknowledged[irq] == before.acknowledged[irq])
			continue;
		answers++;
		if (irq < 8) {
			FUZZ_CHECK(master->single || !(master->icw3 & (1u << irq)),
				   "IRQ %u answered by the master on a slave input", irq);
			FUZZ_CHECK(vector == master->vector_base + (int)irq,
				   "INTA for IRQ %u gave %#x, master base %#x", irq, vector,
				   master->vector_base);
			note_acknowledged(MASTER, irq, "INTA");
		} else {
			FUZZ_CHECK(!master->single && (master->icw3 & CASCADE_BIT) &&
				   (slave->icw3 & 7) == 2,
				   "slave IRQ %u answered without the cascade wired", irq);
			FUZZ_CHECK(vector == slave->vector_base + (int)irq - 8,
				   "INTA for IRQ %u gave %#x, slave base %#x", irq, vector,
				   slave->vector_base);
			note_acknowledged(MASTER, 2, "INTA (cascade)");
			note_acknowledged(SLAVE, irq - 8, "INTA");
		}
	}
	if (after->spurious_slave != before.spurious_slave) {
		answers++;
		FUZZ_CHECK(vector == slave->vector_base + SPURIOUS_LEVEL,
			   "spurious slave INTA gave %#x, slave base %#x", vector, slave->vector_base);
		note_acknowledged(MASTER, 2, "INTA (spurious IRQ15)");
	}
	if (after->unanswered_cascade != before.unanswered_cascade) {
		answers++;
		FUZZ_CHECK(vector == NO_SLAVE_VECTOR, "unanswered cascade INTA gave %#x", vector);
		FUZZ_CHECK(!master->single && master->icw3, "unanswered cascade without ICW3 bits");
		/* Which master level was taken is not visible: any slave input may be. */
		master->edge_unknown |= master->icw3 & master->edge_latched & (uint8_t)~CASCADE_BIT;
		if (!master->aeoi)
			master->may_be_in_service |= master->icw3;
	}
	FUZZ_CHECK(answers == 1, "INTA counted %u answers (vector %#x)", answers, vector);
	FUZZ_CHECK(output || after->spurious_master != before.spurious_master,
		   "INTA delivered while INT was deasserted");
	check_after_operation();
}

static void do_reset(void)
{
	TRACE("reset\n");
	begin_operation();
	vpic_reset(state.pic);
	shadow_reset();
	check_after_operation();
}

/* ---- decoding the input ---------------------------------------------------------------------- */

static uint16_t pick_port(struct fuzz_input *in)
{
	static const uint16_t ports[] = {
		PORT_MASTER_COMMAND, PORT_MASTER_DATA, PORT_SLAVE_COMMAND, PORT_SLAVE_DATA,
		PORT_MASTER_COMMAND, PORT_MASTER_DATA, PORT_SLAVE_COMMAND, PORT_SLAVE_DATA,
		PORT_ELCR1, PORT_ELCR2,
	};
	uint8_t choice = input_u8(in);

	if (choice < 0xFC)
		return ports[choice % ARRAY_SIZE(ports)];
	if (choice < 0xFE)
		return choice == 0xFC ? 0x22 : 0x4D2;
	return input_u16(in);
}

static unsigned pick_irq(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	return choice < 0xF0 ? choice % VPIC_IRQ_COUNT : choice;
}

/* A whole initialization, as guests write it: ICW1 (edge or LTIM, cascade or single, with
 * ICW4), ICW2, ICW3 (the PC wiring or any), ICW4 (8086, AEOI or not, SFNM or not). */
static void do_initialize(struct fuzz_input *in, unsigned chip)
{
	uint8_t flags = input_u8(in);
	uint16_t command = chip == MASTER ? PORT_MASTER_COMMAND : PORT_SLAVE_COMMAND;
	uint16_t data = command + 1;

	do_write(command, (uint8_t)(ICW1_SELECT | ICW1_IC4 | (flags & (ICW1_LTIM | ICW1_SNGL))));
	do_write(data, input_u8(in));
	if (!(flags & ICW1_SNGL))
		do_write(data, flags & 0x80 ? input_u8(in) : chip == MASTER ? CASCADE_BIT : 2);
	/* ICW4: µPM (8086), AEOI and SFNM as the flags say. */
	do_write(data, (uint8_t)(0x01 | (flags & 0x20 ? ICW4_AEOI : 0) | (flags & 0x10)));
}

static void run_operation(struct fuzz_input *in)
{
	uint8_t opcode = input_u8(in);
	unsigned irq, chip;

	switch (opcode % 12) {
	case 0: /* any port write */
	case 1: {
		uint16_t port = pick_port(in);

		do_write(port, input_u8(in));
		break;
	}
	case 2: /* any port read */
		do_read(pick_port(in));
		break;
	case 3: /* a line level */
	case 4:
		irq = pick_irq(in);
		do_set_irq(irq, opcode & 0x80);
		break;
	case 5: /* a pulse, as device models raise and lower a line */
		irq = pick_irq(in);
		do_set_irq(irq, true);
		do_set_irq(irq, false);
		break;
	case 6: /* the INTA cycle */
	case 7:
		do_acknowledge();
		break;
	case 8: /* an initialization of one chip */
		do_initialize(in, opcode & 0x80 ? SLAVE : MASTER);
		break;
	case 9: /* a non-specific or specific EOI, the common OCW2s */
		do_write(opcode & 0x80 ? PORT_SLAVE_COMMAND : PORT_MASTER_COMMAND,
			 opcode & 0x40 ? 0x20 : (uint8_t)(0x60 | (input_u8(in) & 7)));
		break;
	case 10: /* read ISR through OCW3, then restore the read selection (no poll pending) */
		chip = opcode & 0x80 ? SLAVE : MASTER;
		if (!state.chip[chip].poll) {
			uint16_t command = chip == MASTER ? PORT_MASTER_COMMAND : PORT_SLAVE_COMMAND;
			bool read_isr = state.chip[chip].read_isr;

			do_write(command, OCW3_SELECT | OCW3_RR | OCW3_RIS);
			do_read(command);
			do_write(command, (uint8_t)(OCW3_SELECT | OCW3_RR | (read_isr ? OCW3_RIS : 0)));
		}
		break;
	case 11:
		if (opcode & 0x80)
			do_reset();
		else
			do_write(opcode & 0x40 ? PORT_SLAVE_DATA : PORT_MASTER_DATA, input_u8(in));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { .data = data, .size = size, .pos = 0 };

	memset(&state, 0, sizeof(state));
	state.pic = vpic_create(&fake_ops, &state);
	FUZZ_CHECK(state.pic, "vpic_create failed (pool leaked by an earlier input?)");
	FUZZ_CHECK(!vpic_output(state.pic), "INT asserted after vpic_create");
	shadow_reset();

	while (in.pos < in.size)
		run_operation(&in);

	vpic_destroy(state.pic);
	return 0;
}
