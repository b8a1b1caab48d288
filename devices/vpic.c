/* SPDX-License-Identifier: MIT */
/*
 * The 8259A pair and the ELCR (see vpic.h). Section titles are those of the Intel "8259A
 * Programmable Interrupt Controller (8259A/8259A-2)" datasheet; ELCR is from the Intel
 * "82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator" datasheet.
 *
 * Choices where the datasheet leaves room or where a model has to differ (each also at the code):
 *   - Edge-triggered requests are latched: IRR keeps a request when the line falls before the
 *     INTA cycle. The real chip drops it and answers with a default IR7 ("Edge and Level
 *     Triggered Modes": the IR input must stay high until the first INTA), but device models
 *     here pulse their lines (raise, then lower at once), as KVM's and QEMU's PICs assume too.
 *     Level-triggered requests follow the line, so a level IRQ that falls before the INTA cycle
 *     does give the default IR7 (spurious) vector.
 *   - ICW1 LTIM is honoured (all eight inputs of that chip level-triggered, ORed with ELCR). The
 *     PIIX ignores LTIM and uses only ELCR; a PC guest writes LTIM = 0, so both agree for it.
 *   - ICW1 clears ISR as well as IMR. The datasheet's list of ICW1 effects does not mention ISR;
 *     clearing it (as QEMU does) keeps a guest that re-initializes mid-service from inheriting a
 *     level that nothing will EOI. The edge-sense reset drops latched edge requests and keeps
 *     the line levels, so a line that is high during ICW1 must fall and rise again.
 *   - The cascade: the slave's INT output is master IR2's input. In edge mode the master latches
 *     a request on IR2 whenever the slave's INT is asserted after any change, not only on its
 *     rising edge (KVM does the same): a slave that still has an eligible request after its INTA
 *     cycle (AEOI, special mask mode) is then not lost behind the master's edge detector.
 *     A request latched on IR2 stays when the slave's request goes away (the slave's IRQ masked
 *     meanwhile): the INTA cycle then gives the slave's IR7 vector, the classic spurious IRQ15,
 *     with master ISR bit 2 set, so the guest sends the master (only) an EOI.
 *   - Cascade addressing follows ICW3: a master IR whose ICW3 bit is set is a slave input; only
 *     IR2 has a slave wired to it, and it answers only when its ICW3 ID is 2. Any other slave
 *     input leaves the data bus floating: vector 0xFF, counted.
 *   - MCS-80/85 mode (ICW4 µPM = 0, or ICW1 without IC4) is counted and otherwise ignored: the
 *     INTA cycle returns an 8086 vector. ADI, A7–A5 (ICW1), A10–A8 (ICW2), BUF and M/S (ICW4)
 *     have no effect. Special fully nested mode works on the master only.
 *   - Special mask mode: an in-service level that is masked neither blocks lower levels nor is
 *     cleared by a non-specific EOI ("Special Mask Mode", "End of Interrupt"); an in-service
 *     level that is not masked still blocks lower ones (as QEMU reads it).
 *   - The poll command acknowledges on the chip that is read (IRR → ISR as an INTA cycle would,
 *     AEOI included) and works at either port of the chip; a master poll that reports IR2 does
 *     not touch the slave, which software polls next ("Poll Command").
 *   - OCW2/OCW3 writes in the middle of an ICW sequence are carried out; the sequence continues.
 */
#include "vpic.h"

/* ---- registers and command bits -------------------------------------------------------------- */

enum vpic_port {
	VPIC_MASTER_COMMAND = 0x20, /* A0 = 0: ICW1, OCW2, OCW3; reads IRR or ISR */
	VPIC_MASTER_DATA = 0x21,    /* A0 = 1: ICW2–ICW4, OCW1; reads IMR */
	VPIC_SLAVE_COMMAND = 0xA0,
	VPIC_SLAVE_DATA = 0xA1,
	VPIC_ELCR1 = 0x4D0,         /* edge/level control, IRQ 0–7 */
	VPIC_ELCR2 = 0x4D1,         /* edge/level control, IRQ 8–15 */
};

/* ICW1 (A0 = 0, D4 = 1) */
#define ICW1_IC4 0x01      /* ICW4 follows */
#define ICW1_SNGL 0x02     /* single: no ICW3, no cascade */
#define ICW1_LTIM 0x08     /* level-triggered inputs */
#define ICW1_SELECT 0x10
/* ICW4 */
#define ICW4_UPM 0x01      /* 8086/8088 mode (0: MCS-80/85) */
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10     /* special fully nested mode */
/* OCW3 (A0 = 0, D4 = 0, D3 = 1) */
#define OCW3_SELECT 0x08
#define OCW3_RIS 0x01      /* read ISR (else IRR), taken when RR = 1 */
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20      /* special mask mode on/off, taken when ESMM = 1 */
#define OCW3_ESMM 0x40
/* OCW2 (A0 = 0, D4 = 0, D3 = 0): bits 7:5 R, SL, EOI select the command, bits 2:0 a level. */
enum ocw2_command {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};
#define POLL_WORD_INTERRUPT 0x80 /* poll word bit 7 "I": a request was found */

/* ELCR bits that exist (PIIX3 "ELCR1/ELCR2"): IRQ 0, 1, 2, 8 and 13 are reserved, always edge. */
#define ELCR1_WRITABLE 0xF8
#define ELCR2_WRITABLE 0xDE

#define CASCADE_IR 2       /* the master input the slave's INT drives */
#define SPURIOUS_IR 7      /* the default level of an INTA cycle with no request */
#define FLOATING_BUS 0xFF

/* ---- state ------------------------------------------------------------------------------------ */

/* Where an ICW sequence stands. */
enum icw_step {
	ICW_DONE = 0,       /* operational: data-port writes are OCW1 */
	ICW_EXPECT_ICW2,
	ICW_EXPECT_ICW3,
	ICW_EXPECT_ICW4,
};

/* One 8259A. Written by vpic_write (commands), vpic_set_irq (line, IRR) and the INTA cycle. */
struct vpic_chip {
	bool master;
	uint8_t irr, isr, imr;
	uint8_t line;           /* input levels as last driven (master bit 2: the slave's INT) */
	uint8_t elcr;           /* 1 = level-triggered (reserved bits kept 0) */
	bool ltim;              /* ICW1 LTIM: every input level-triggered */
	uint8_t vector_base;    /* ICW2 bits 7:3 */
	uint8_t icw3;           /* master: inputs with a slave; slave: its ID in bits 2:0 */
	bool icw4_expected, single;
	enum icw_step icw_step;
	bool x86_mode, aeoi, sfnm;
	bool rotate_on_aeoi;    /* OCW2 "rotate in automatic EOI mode" */
	uint8_t highest_level;  /* the level with the highest priority; rotation moves it */
	bool read_isr;          /* OCW3 RR/RIS: the command port reads ISR (else IRR) */
	bool poll;              /* OCW3 P: the next read is a poll */
	bool special_mask;      /* OCW3 SMM */
};

struct vpic {
	bool in_use;            /* pool slot taken: vpic_create/vpic_destroy */
	const struct vpic_ops *ops; /* never NULL (an empty table stands in) */
	void *ctx;
	struct vpic_chip chip[2]; /* [0] master, [1] slave */
	bool output;            /* the master's INT as last reported */
	struct vpic_stats stats;
};

static const struct vpic_ops no_ops;
static struct vpic vpic_pool[VPIC_MAX_INSTANCES];

/* ---- priority -------------------------------------------------------------------------------- */

static uint8_t level_triggered_mask(const struct vpic_chip *c)
{
	return c->ltim ? 0xFF : c->elcr;
}

/*
 * The request the chip presents on INT, or -1: scanning levels from the highest priority down
 * ("Fully Nested Mode", "Automatic Rotation"), the first unmasked request wins unless a level in
 * service comes first. Special mask mode: masked levels in service do not count ("Special Mask
 * Mode"). Special fully nested mode on the master: a request on IR2 is taken while IR2 itself is
 * in service, so a slave's higher-priority request gets through ("The Special Fully Nested Mode").
 */
static int chip_eligible_request(const struct vpic_chip *c)
{
	uint8_t requests = c->irr & (uint8_t)~c->imr;
	uint8_t in_service = c->isr;

	if (!requests)
		return -1;
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	for (unsigned i = 0; i < 8; i++) {
		unsigned level = (c->highest_level + i) & 7;
		uint8_t bit = (uint8_t)(1u << level);

		if (in_service & bit) {
			if (c->master && c->sfnm && level == CASCADE_IR && (requests & bit))
				return CASCADE_IR;
			return -1;
		}
		if (requests & bit)
			return (int)level;
	}
	return -1;
}

/* The in-service level a non-specific EOI clears, or -1 ("End of Interrupt"): the highest in
 * priority order; in special mask mode a masked one is skipped. */
static int chip_highest_in_service(const struct vpic_chip *c)
{
	uint8_t in_service = c->isr;

	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	for (unsigned i = 0; i < 8; i++) {
		unsigned level = (c->highest_level + i) & 7;

		if (in_service & (1u << level))
			return (int)level;
	}
	return -1;
}

/* IRR → ISR for `level` at the end of an INTA cycle or a poll ("Interrupt Sequence"): an edge
 * request is consumed, a level request stays as long as its line; AEOI leaves ISR alone and, with
 * "rotate in automatic EOI mode", makes the level the lowest priority ("Automatic Rotation"). */
static void chip_acknowledge_level(struct vpic_chip *c, unsigned level)
{
	uint8_t bit = (uint8_t)(1u << level);

	if (!(level_triggered_mask(c) & bit))
		c->irr &= (uint8_t)~bit;
	if (c->aeoi) {
		if (c->rotate_on_aeoi)
			c->highest_level = (uint8_t)((level + 1) & 7);
	} else {
		c->isr |= bit;
	}
}

/* Brings the cascade input and the master's INT up to date; the one place INT changes. */
static void vpic_update(struct vpic *pic)
{
	struct vpic_chip *master = &pic->chip[0];
	const uint8_t cascade_bit = 1u << CASCADE_IR;
	bool slave_int = chip_eligible_request(&pic->chip[1]) >= 0;
	bool output;

	if (slave_int)
		master->line |= cascade_bit;
	else
		master->line &= (uint8_t)~cascade_bit;
	if (level_triggered_mask(master) & cascade_bit) {
		if (slave_int)
			master->irr |= cascade_bit;
		else
			master->irr &= (uint8_t)~cascade_bit;
	} else if (slave_int) {
		master->irr |= cascade_bit; /* re-latched while asserted: see the comment at the top */
	}

	output = chip_eligible_request(master) >= 0;
	if (output == pic->output)
		return;
	pic->output = output;
	pic->stats.int_changes++;
	if (pic->ops->int_changed)
		pic->ops->int_changed(pic->ctx, output);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void chip_reset(struct vpic_chip *c, bool master)
{
	memset(c, 0, sizeof(*c));
	c->master = master;
	c->imr = 0xFF;
	c->x86_mode = true;
	c->icw3 = master ? 1u << CASCADE_IR : CASCADE_IR;
}

void vpic_reset(struct vpic *pic)
{
	chip_reset(&pic->chip[0], true);
	chip_reset(&pic->chip[1], false);
	vpic_update(pic);
}

struct vpic *vpic_create(const struct vpic_ops *ops, void *ctx)
{
	for (unsigned i = 0; i < VPIC_MAX_INSTANCES; i++) {
		struct vpic *pic = &vpic_pool[i];

		if (pic->in_use)
			continue;
		memset(pic, 0, sizeof(*pic));
		pic->in_use = true;
		pic->ops = ops ? ops : &no_ops;
		pic->ctx = ctx;
		chip_reset(&pic->chip[0], true);
		chip_reset(&pic->chip[1], false);
		return pic;
	}
	return NULL;
}

void vpic_destroy(struct vpic *pic)
{
	if (pic)
		pic->in_use = false;
}

const struct vpic_stats *vpic_stats(const struct vpic *pic)
{
	return &pic->stats;
}

bool vpic_output(const struct vpic *pic)
{
	return pic->output;
}

bool vpic_handles_port(uint16_t port)
{
	switch (port) {
	case VPIC_MASTER_COMMAND:
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_COMMAND:
	case VPIC_SLAVE_DATA:
	case VPIC_ELCR1:
	case VPIC_ELCR2:
		return true;
	}
	return false;
}

/* ---- input lines ----------------------------------------------------------------------------- */

void vpic_set_irq(struct vpic *pic, unsigned irq, bool level)
{
	struct vpic_chip *c;
	uint8_t bit;
	bool was_high;

	if (irq >= VPIC_IRQ_COUNT || irq == CASCADE_IR) {
		pic->stats.ignored_irqs++;
		return;
	}
	c = &pic->chip[irq / 8];
	bit = (uint8_t)(1u << (irq % 8));
	was_high = c->line & bit;
	if (level)
		c->line |= bit;
	else
		c->line &= (uint8_t)~bit;

	if (level_triggered_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !was_high) {
		c->irr |= bit;      /* rising edge: latched until acknowledged */
	}
	vpic_update(pic);
}

/* ---- commands -------------------------------------------------------------------------------- */

/*
 * ICW1 ("Initialization Command Words"): "a. The edge sense circuit is reset ... b. The Interrupt
 * Mask Register is cleared. c. IR7 input is assigned priority 7. d. The slave mode address is set
 * to 7. e. Special Mask Mode is cleared and Status Read is set to IRR. f. If IC4 = 0, then all
 * functions selected in ICW4 are set to zero." Plus ISR, poll and AEOI rotation cleared (top).
 */
static void chip_write_icw1(struct vpic *pic, struct vpic_chip *c, uint8_t value)
{
	pic->stats.initializations++;
	c->icw4_expected = value & ICW1_IC4;
	c->single = value & ICW1_SNGL;
	c->ltim = value & ICW1_LTIM;
	c->icw_step = ICW_EXPECT_ICW2;
	c->imr = 0;
	c->isr = 0;
	c->irr = c->line & level_triggered_mask(c); /* edge latches reset; level requests stay */
	c->highest_level = 0;
	c->icw3 = c->master ? 0 : 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_on_aeoi = false;
	if (!c->icw4_expected) {
		c->x86_mode = false;
		c->aeoi = false;
		c->sfnm = false;
	}
}

static void chip_finish_icws(struct vpic *pic, struct vpic_chip *c)
{
	c->icw_step = ICW_DONE;
	if (!c->x86_mode)
		pic->stats.unsupported++; /* MCS-80/85 mode: vectors stay 8086-style */
}

/* Data-port write: the next ICW while a sequence runs, else OCW1 (IMR). */
static void chip_write_data(struct vpic *pic, struct vpic_chip *c, uint8_t value)
{
	switch (c->icw_step) {
	case ICW_EXPECT_ICW2:
		c->vector_base = value & 0xF8; /* T7–T3 in 8086 mode */
		if (!c->single)
			c->icw_step = ICW_EXPECT_ICW3;
		else if (c->icw4_expected)
			c->icw_step = ICW_EXPECT_ICW4;
		else
			chip_finish_icws(pic, c);
		break;
	case ICW_EXPECT_ICW3:
		c->icw3 = c->master ? value : value & 7;
		if (c->icw4_expected)
			c->icw_step = ICW_EXPECT_ICW4;
		else
			chip_finish_icws(pic, c);
		break;
	case ICW_EXPECT_ICW4:
		c->x86_mode = value & ICW4_UPM;
		c->aeoi = value & ICW4_AEOI;
		c->sfnm = value & ICW4_SFNM;
		chip_finish_icws(pic, c);
		break;
	case ICW_DONE:
		c->imr = value;
		break;
	}
}

static void chip_end_of_interrupt(struct vpic *pic, struct vpic_chip *c, int level)
{
	if (level >= 0 && (c->isr & (1u << level))) {
		c->isr &= (uint8_t)~(1u << level);
		pic->stats.eois++;
	} else {
		pic->stats.empty_eois++;
	}
}

/* OCW2 ("Operation Command Words", "End of Interrupt", "Automatic Rotation", "Specific
 * Rotation"). Rotation makes a level the lowest priority: the next one up becomes the highest. */
static void chip_write_ocw2(struct vpic *pic, struct vpic_chip *c, uint8_t value)
{
	unsigned level = value & 7;
	int in_service;

	switch ((enum ocw2_command)(value >> 5)) {
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_aeoi = false;
		break;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = true;
		break;
	case OCW2_NONSPECIFIC_EOI:
		chip_end_of_interrupt(pic, c, chip_highest_in_service(c));
		break;
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		in_service = chip_highest_in_service(c);
		chip_end_of_interrupt(pic, c, in_service);
		if (in_service >= 0)
			c->highest_level = (uint8_t)((in_service + 1) & 7);
		break;
	case OCW2_SPECIFIC_EOI:
		chip_end_of_interrupt(pic, c, (int)level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		chip_end_of_interrupt(pic, c, (int)level);
		c->highest_level = (uint8_t)((level + 1) & 7);
		break;
	case OCW2_SET_PRIORITY:
		c->highest_level = (uint8_t)((level + 1) & 7);
		break;
	case OCW2_NOP:
		break;
	}
}

/* OCW3 ("Operation Command Words", "Reading the 8259A Status", "Poll Command", "Special Mask
 * Mode"). RR = 0 and ESMM = 0 leave their settings alone. */
static void chip_write_ocw3(struct vpic_chip *c, uint8_t value)
{
	if (value & OCW3_ESMM)
		c->special_mask = value & OCW3_SMM;
	if (value & OCW3_POLL)
		c->poll = true;
	if (value & OCW3_RR)
		c->read_isr = value & OCW3_RIS;
}

/* The elcr register of `c` after a write: reserved bits stay 0; inputs that are now level-
 * triggered request exactly while their line is high, edge latches already taken stay. */
static void chip_write_elcr(struct vpic_chip *c, uint8_t value, uint8_t writable)
{
	uint8_t level;

	c->elcr = value & writable;
	level = level_triggered_mask(c);
	c->irr = (uint8_t)((c->irr & ~level) | (c->line & level));
}

void vpic_write(struct vpic *pic, uint16_t port, uint8_t value)
{
	struct vpic_chip *c = &pic->chip[port == VPIC_SLAVE_COMMAND || port == VPIC_SLAVE_DATA];

	switch (port) {
	case VPIC_MASTER_COMMAND:
	case VPIC_SLAVE_COMMAND:
		if (value & ICW1_SELECT)
			chip_write_icw1(pic, c, value);
		else if (value & OCW3_SELECT)
			chip_write_ocw3(c, value);
		else
			chip_write_ocw2(pic, c, value);
		break;
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_DATA:
		chip_write_data(pic, c, value);
		break;
	case VPIC_ELCR1:
		chip_write_elcr(&pic->chip[0], value, ELCR1_WRITABLE);
		break;
	case VPIC_ELCR2:
		chip_write_elcr(&pic->chip[1], value, ELCR2_WRITABLE);
		break;
	default:
		pic->stats.bad_ports++;
		return;
	}
	vpic_update(pic);
}

/* A read after OCW3 P = 1 ("Poll Command"): bit 7 set and the level in bits 2:0 when a request
 * is eligible, which is then acknowledged; 0 when none. */
static uint8_t chip_read_poll(struct vpic *pic, struct vpic_chip *c)
{
	int level = chip_eligible_request(c);

	c->poll = false;
	pic->stats.polls++;
	if (level < 0)
		return 0;
	chip_acknowledge_level(c, (unsigned)level);
	vpic_update(pic);
	return (uint8_t)(POLL_WORD_INTERRUPT | level);
}

uint8_t vpic_read(struct vpic *pic, uint16_t port)
{
	struct vpic_chip *c = &pic->chip[port == VPIC_SLAVE_COMMAND || port == VPIC_SLAVE_DATA];

	switch (port) {
	case VPIC_MASTER_COMMAND:
	case VPIC_SLAVE_COMMAND:
		if (c->poll)
			return chip_read_poll(pic, c);
		return c->read_isr ? c->isr : c->irr;
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_DATA:
		if (c->poll)
			return chip_read_poll(pic, c);
		return c->imr;
	case VPIC_ELCR1:
		return pic->chip[0].elcr;
	case VPIC_ELCR2:
		return pic->chip[1].elcr;
	}
	pic->stats.bad_ports++;
	return FLOATING_BUS;
}

/* ---- the INTA cycle -------------------------------------------------------------------------- */

/*
 * "Interrupt Sequence" (8086 mode): on the INTA pulses the highest-priority request is set in ISR
 * and cleared in IRR, and the vector is base + level; "If no interrupt request is present ...
 * the 8259A will issue an interrupt level 7" without setting ISR bit 7. "Cascade Mode": a master
 * input programmed as a slave input (ICW3) lets the slave with that ID supply the vector.
 */
int vpic_acknowledge(struct vpic *pic)
{
	struct vpic_chip *master = &pic->chip[0];
	struct vpic_chip *slave = &pic->chip[1];
	int level = chip_eligible_request(master);
	int slave_level;
	int vector;

	if (level < 0) {
		pic->stats.spurious_master++;
		return master->vector_base + SPURIOUS_IR;
	}
	chip_acknowledge_level(master, (unsigned)level);
	if (master->single || !(master->icw3 & (1u << level))) {
		pic->stats.acknowledged[level]++;
		vector = master->vector_base + level;
	} else if (level != CASCADE_IR || (slave->icw3 & 7) != CASCADE_IR) {
		pic->stats.unanswered_cascade++; /* no slave answers on the cascade bus */
		vector = FLOATING_BUS;
	} else {
		slave_level = chip_eligible_request(slave);
		if (slave_level < 0) {
			pic->stats.spurious_slave++;
			vector = slave->vector_base + SPURIOUS_IR;
		} else {
			chip_acknowledge_level(slave, (unsigned)slave_level);
			pic->stats.acknowledged[8 + slave_level]++;
			vector = slave->vector_base + slave_level;
		}
	}
	vpic_update(pic);
	return vector;
}
