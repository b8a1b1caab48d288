/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for devices/vioapic.c, the virtual I/O APIC. The input is a sequence of
 * operations as a guest and the platform would issue them: MMIO reads and writes of the register
 * page at any offset and width, IOREGSEL+IOWIN pairs, pin level changes and pulses, EOIs through
 * the vLAPIC hook and through the EOI register, resets. A fake ops struct delivers into nothing
 * (accepting or refusing as the input says) and checks, at every call and after every
 * operation, what vioapic.h documents:
 *   - a message goes out only for an unmasked pin whose input is active, with the RTE's
 *     destination, destination mode, delivery mode (never reserved 3 or 6) and vector, `level`
 *     only for a level-triggered fixed/lowest-priority RTE, and only from an operation that may
 *     cause it (an edge from vioapic_set_pin's inactive → active transition of that pin; a level
 *     one from that pin's vioapic_set_pin, a write of its RTE or an EOI of its vector);
 *   - remote IRR is set only on an RTE whose trigger-mode bit says level, only when some APIC
 *     accepted that pin's level message, and cleared only by an EOI of its vector, a switch to
 *     edge or a reset; reserved bits 55:17 and delivery status (bit 12) always read 0; the
 *     writable bits are exactly what the guest last wrote;
 *   - ops->rte_changed keeps the caller's EOI-exit bitmap right: vioapic_level_vectors() equals
 *     the value computed at the last rte_changed after every operation and whenever an interrupt
 *     is delivered ("before any interrupt the same write causes is delivered");
 *   - reads return what the page layout says, fit their width and change nothing;
 *   - while every level message is accepted, an unmasked level pin whose input is active has
 *     remote IRR set (no level interrupt is lost).
 * A broken invariant prints one line and aborts, which libFuzzer records as a crash.
 */
#include "devices/vioapic.h"

#define FUZZ_NAME "fuzz_vioapic"
#include "tests/fuzz/fuzz_input.h"

/* ---- the fuzzer's own view of the model ------------------------------------------------------ */

/* What the operation in progress may cause (for the checks in the deliver callback). */
enum operation_kind {
	OPERATION_OTHER,   /* nothing may be delivered */
	OPERATION_SET_PIN, /* vioapic_set_pin(pin): an edge or level message of that pin */
	OPERATION_RTE_WRITE, /* an IOWIN write of pin's RTE: a level message of that pin */
	OPERATION_EOI,     /* an EOI of `vector`: level messages of pins with that vector */
};

struct fuzz_state {
	struct vioapic *vio;
	/* Shadow of the guest-visible state, from the documented register semantics. */
	uint64_t rte_written[VIOAPIC_PIN_COUNT]; /* VIOAPIC_RTE_WRITABLE bits last written */
	uint8_t ioregsel;
	uint8_t id;
	uint32_t line_high;       /* input line levels as reported (a reset keeps them) */
	/* The operation in progress. */
	enum operation_kind kind;
	unsigned pin;
	uint8_t vector;
	bool pin_was_active;      /* OPERATION_SET_PIN: the pin's input before the call */
	uint64_t rte_before[VIOAPIC_PIN_COUNT];
	uint32_t accepted_level;  /* pins whose level message was accepted in this operation */
	unsigned calls;           /* ops calls made in this operation */
	/* Across operations. */
	uint64_t deliveries_seen[VIOAPIC_PIN_COUNT]; /* stats.deliveries as of the last callback */
	uint64_t level_vectors[4];    /* as computed at the last rte_changed (the caller's copy) */
	uint64_t level_vectors_targeted[4];
	uint32_t refused_level;   /* pins whose last level message was refused: may wait */
	uint8_t accept_policy;    /* bit n % 8: the n-th message is accepted */
	unsigned messages;
	uint8_t target_salt;      /* parameter of the fake targets_vcpu */
	bool in_callback;
};

static struct fuzz_state state;

static bool rte_is_level_triggered(uint64_t rte)
{
	uint8_t mode = (uint8_t)((rte & VIOAPIC_RTE_DELIVERY_MODE_MASK) >>
				 VIOAPIC_RTE_DELIVERY_MODE_SHIFT);

	return (rte & VIOAPIC_RTE_LEVEL) &&
	       (mode == VIOAPIC_DELIVERY_FIXED || mode == VIOAPIC_DELIVERY_LOWEST_PRIORITY);
}

static bool pin_input_active(unsigned pin, uint64_t rte)
{
	bool high = state.line_high & (1u << pin);

	return high != !!(rte & VIOAPIC_RTE_POLARITY_LOW);
}

/* A vCPU that some destinations name and others do not, so that the targeted bitmap differs. */
static bool fake_targets_vcpu(void *ctx, uint32_t destination, bool logical)
{
	(void)ctx;
	return ((destination ^ state.target_salt) & 3) != (logical ? 1u : 2u);
}

static void compute_level_vectors(uint64_t all[4], uint64_t targeted[4])
{
	vioapic_level_vectors(state.vio, NULL, NULL, all);
	vioapic_level_vectors(state.vio, fake_targets_vcpu, NULL, targeted);
}

static void check_level_vectors_current(const char *where)
{
	uint64_t all[4], targeted[4];

	compute_level_vectors(all, targeted);
	FUZZ_CHECK(!memcmp(all, state.level_vectors, sizeof(all)) &&
		   !memcmp(targeted, state.level_vectors_targeted, sizeof(targeted)),
		   "%s: vioapic_level_vectors() changed without ops->rte_changed", where);
}

/* ---- fake ops -------------------------------------------------------------------------------- */

static bool fake_deliver(void *ctx, uint32_t destination, bool logical, uint8_t delivery_mode,
			 uint8_t vector, bool level)
{
	const struct vioapic_stats *stats = vioapic_stats(state.vio);
	unsigned pin = VIOAPIC_PIN_COUNT;
	uint64_t rte;
	bool accepted;

	FUZZ_CHECK(ctx == &state, "deliver: wrong ctx");
	FUZZ_CHECK(!state.in_callback, "deliver: called from inside an op");
	state.calls++;
	/* The model counts the message before it sends it: the pin is the one whose count grew. */
	for (unsigned p = 0; p < VIOAPIC_PIN_COUNT; p++) {
		if (stats->deliveries[p] == state.deliveries_seen[p])
			continue;
		FUZZ_CHECK(pin == VIOAPIC_PIN_COUNT &&
			   stats->deliveries[p] == state.deliveries_seen[p] + 1,
			   "deliver: deliveries[] grew by more than this one message");
		pin = p;
	}
	FUZZ_CHECK(pin < VIOAPIC_PIN_COUNT, "deliver: no pin counted this message");
	state.deliveries_seen[pin]++;

	rte = vioapic_rte(state.vio, pin);
	FUZZ_CHECK(!(rte & VIOAPIC_RTE_MASKED), "deliver: pin %u is masked (rte %#llx)", pin,
		   (unsigned long long)rte);
	FUZZ_CHECK(delivery_mode != 3 && delivery_mode != 6 && delivery_mode <= 7,
		   "deliver: pin %u: reserved delivery mode %u", pin, delivery_mode);
	FUZZ_CHECK(delivery_mode == ((rte & VIOAPIC_RTE_DELIVERY_MODE_MASK) >>
				     VIOAPIC_RTE_DELIVERY_MODE_SHIFT) &&
		   destination == (uint32_t)(rte >> VIOAPIC_RTE_DESTINATION_SHIFT) &&
		   logical == !!(rte & VIOAPIC_RTE_LOGICAL) &&
		   vector == (uint8_t)(rte & VIOAPIC_RTE_VECTOR_MASK),
		   "deliver: pin %u: message (dest %#x logical %d mode %u vector %#x) does not match "
		   "rte %#llx", pin, destination, logical, delivery_mode, vector,
		   (unsigned long long)rte);
	FUZZ_CHECK(level == rte_is_level_triggered(rte),
		   "deliver: pin %u: level=%d for rte %#llx", pin, level, (unsigned long long)rte);
	FUZZ_CHECK(pin_input_active(pin, rte), "deliver: pin %u: input not active", pin);
	if (level) {
		FUZZ_CHECK(!(rte & VIOAPIC_RTE_REMOTE_IRR),
			   "deliver: pin %u: level message while remote IRR is set", pin);
		FUZZ_CHECK((state.kind == OPERATION_SET_PIN && state.pin == pin) ||
			   (state.kind == OPERATION_RTE_WRITE && state.pin == pin) ||
			   (state.kind == OPERATION_EOI && state.vector == vector &&
			    (state.rte_before[pin] & VIOAPIC_RTE_REMOTE_IRR)),
			   "deliver: pin %u: level message from an operation (kind %d, pin %u, "
			   "vector %#x) that cannot cause it", pin, (int)state.kind, state.pin,
			   state.vector);
	} else {
		FUZZ_CHECK(state.kind == OPERATION_SET_PIN && state.pin == pin &&
			   !state.pin_was_active,
			   "deliver: pin %u: edge message without an inactive-to-active transition "
			   "of that pin (operation kind %d, pin %u)", pin, (int)state.kind, state.pin);
	}
	/* The RTE change that caused this message has been reported already. */
	check_level_vectors_current("deliver");

	accepted = state.accept_policy & (1u << (state.messages++ % 8));
	TRACE("  deliver pin %u: dest %#x logical %d mode %u vector %#x level %d -> %s\n", pin,
	      destination, logical, delivery_mode, vector, level, accepted ? "accepted" : "refused");
	if (level) {
		if (accepted) {
			state.accepted_level |= 1u << pin;
			state.refused_level &= ~(1u << pin);
		} else {
			state.refused_level |= 1u << pin;
		}
	}
	return accepted;
}

static void fake_rte_changed(void *ctx)
{
	FUZZ_CHECK(ctx == &state, "rte_changed: wrong ctx");
	FUZZ_CHECK(!state.in_callback, "rte_changed: called from inside an op");
	state.calls++;
	state.in_callback = true;
	compute_level_vectors(state.level_vectors, state.level_vectors_targeted);
	state.in_callback = false;
}

static const struct vioapic_ops fake_ops = {
	.deliver = fake_deliver,
	.rte_changed = fake_rte_changed,
};

/* ---- operations, each followed by the checks ------------------------------------------------- */

static void begin_operation(enum operation_kind kind, unsigned pin, uint8_t vector)
{
	state.kind = kind;
	state.pin = pin;
	state.vector = vector;
	state.accepted_level = 0;
	state.calls = 0;
	for (unsigned p = 0; p < VIOAPIC_PIN_COUNT; p++)
		state.rte_before[p] = vioapic_rte(state.vio, p);
	if (kind == OPERATION_SET_PIN && pin < VIOAPIC_PIN_COUNT)
		state.pin_was_active = pin_input_active(pin, state.rte_before[pin]);
}

/* What a guest write of `value` through IOWIN does to the shadow; the operation kind it is. */
static enum operation_kind shadow_window_write(uint32_t value, unsigned *pin)
{
	uint8_t reg = state.ioregsel;

	if (reg == VIOAPIC_REG_ID) {
		state.id = (uint8_t)((value >> 24) & 0xF);
		return OPERATION_OTHER;
	}
	if (reg < VIOAPIC_REG_REDTBL || reg >= VIOAPIC_REG_RTE_LOW(VIOAPIC_PIN_COUNT))
		return OPERATION_OTHER;
	*pin = (unsigned)(reg - VIOAPIC_REG_REDTBL) / 2;
	if ((reg - VIOAPIC_REG_REDTBL) & 1)
		state.rte_written[*pin] = (state.rte_written[*pin] & 0xFFFFFFFFull) |
					  ((uint64_t)value << 32 & VIOAPIC_RTE_WRITABLE);
	else
		state.rte_written[*pin] = (state.rte_written[*pin] & ~0xFFFFFFFFull) |
					  (value & VIOAPIC_RTE_WRITABLE);
	return OPERATION_RTE_WRITE;
}

/* The register IOWIN shows for the shadow's IOREGSEL, per vioapic.h. */
static uint32_t expected_window(void)
{
	uint8_t reg = state.ioregsel;
	unsigned pin;

	switch (reg) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB:
		return (uint32_t)state.id << 24;
	case VIOAPIC_REG_VER:
		return VIOAPIC_VER_VALUE;
	default:
		break;
	}
	if (reg < VIOAPIC_REG_REDTBL || reg >= VIOAPIC_REG_RTE_LOW(VIOAPIC_PIN_COUNT))
		return 0;
	pin = (unsigned)(reg - VIOAPIC_REG_REDTBL) / 2;
	return (reg - VIOAPIC_REG_REDTBL) & 1 ? (uint32_t)(vioapic_rte(state.vio, pin) >> 32)
					      : (uint32_t)vioapic_rte(state.vio, pin);
}

static bool access_architected(uint32_t offset, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && offset < VIOAPIC_MMIO_SIZE &&
	       offset % size == 0;
}

static void check_after_operation(void)
{
	const struct vioapic_stats *stats = vioapic_stats(state.vio);

	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		uint64_t rte = vioapic_rte(state.vio, pin);
		uint64_t before = state.rte_before[pin];
		bool irr = rte & VIOAPIC_RTE_REMOTE_IRR, irr_before = before & VIOAPIC_RTE_REMOTE_IRR;

		FUZZ_CHECK(!(rte & ~(VIOAPIC_RTE_WRITABLE | VIOAPIC_RTE_REMOTE_IRR)),
			   "pin %u: reserved or delivery-status bits set: rte %#llx", pin,
			   (unsigned long long)rte);
		FUZZ_CHECK((rte & VIOAPIC_RTE_WRITABLE) == state.rte_written[pin],
			   "pin %u: rte %#llx, guest wrote %#llx", pin, (unsigned long long)rte,
			   (unsigned long long)state.rte_written[pin]);
		FUZZ_CHECK(!irr || (rte & VIOAPIC_RTE_LEVEL),
			   "pin %u: remote IRR set on an edge RTE %#llx", pin,
			   (unsigned long long)rte);
		FUZZ_CHECK(!irr || irr_before || (state.accepted_level & (1u << pin)),
			   "pin %u: remote IRR set without an accepted level message", pin);
		FUZZ_CHECK(irr || !irr_before ||
			   (state.kind == OPERATION_EOI &&
			    (uint8_t)(before & VIOAPIC_RTE_VECTOR_MASK) == state.vector) ||
			   (state.kind == OPERATION_RTE_WRITE && state.pin == pin &&
			    !(rte & VIOAPIC_RTE_LEVEL)),
			   "pin %u: remote IRR cleared by an operation (kind %d, pin %u, vector %#x) "
			   "other than an EOI of vector %#x or a switch to edge", pin, (int)state.kind,
			   state.pin, state.vector, (unsigned)(before & VIOAPIC_RTE_VECTOR_MASK));
		FUZZ_CHECK(stats->deliveries[pin] == state.deliveries_seen[pin],
			   "pin %u: delivery counted without ops->deliver", pin);
		/* Liveness: a level input that is active, unmasked, and whose last message was not
		 * refused, is in service (remote IRR) — it was not dropped on the floor. */
		if (rte_is_level_triggered(rte) && !(rte & VIOAPIC_RTE_MASKED) &&
		    pin_input_active(pin, rte) && !(state.refused_level & (1u << pin)))
			FUZZ_CHECK(irr, "pin %u: active unmasked level input with remote IRR clear "
				   "and no refused message (rte %#llx)", pin,
				   (unsigned long long)rte);
	}
	check_level_vectors_current("after operation");
}

static void do_mmio_write(uint32_t offset, unsigned size, uint32_t value)
{
	enum operation_kind kind = OPERATION_OTHER;
	unsigned pin = 0;
	uint8_t vector = 0;

	if (access_architected(offset, size)) {
		if (offset == VIOAPIC_IOREGSEL) {
			state.ioregsel = (uint8_t)value;
		} else if (offset == VIOAPIC_IOWIN && size >= 4) {
			kind = shadow_window_write(value, &pin);
		} else if (offset == VIOAPIC_EOIR && size >= 4) {
			kind = OPERATION_EOI;
			vector = (uint8_t)value;
		}
	}
	/* The shadow RTE is already the new one: the checks compare against it afterwards. */
	TRACE("mmio write %#x size %u <- %#x\n", offset, size, value);
	begin_operation(kind, pin, vector);
	vioapic_mmio_write(state.vio, offset, size, value);
	check_after_operation();
}

static void do_mmio_read(uint32_t offset, unsigned size)
{
	uint32_t expected = 0, value;
	uint32_t byte = offset & 0xF;

	if (access_architected(offset, size) && byte < 4) {
		switch (offset & ~0xFu) {
		case VIOAPIC_IOREGSEL:
			expected = state.ioregsel;
			break;
		case VIOAPIC_IOWIN:
			expected = expected_window();
			break;
		default:
			break;
		}
		expected >>= 8 * byte;
		if (size < 4)
			expected &= (1u << (8 * size)) - 1;
	}
	begin_operation(OPERATION_OTHER, 0, 0);
	value = vioapic_mmio_read(state.vio, offset, size);
	TRACE("mmio read %#x size %u -> %#x\n", offset, size, value);
	FUZZ_CHECK(value == expected, "read of %u bytes at %#x: %#x, expected %#x (IOREGSEL %#x)",
		   size, offset, value, expected, state.ioregsel);
	FUZZ_CHECK(state.calls == 0, "read at %#x called ops", offset);
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		FUZZ_CHECK(vioapic_rte(state.vio, pin) == state.rte_before[pin],
			   "read at %#x changed pin %u's RTE", offset, pin);
	check_after_operation();
}

static void do_set_pin(unsigned pin, bool line_high)
{
	uint64_t invalid_before = vioapic_stats(state.vio)->invalid_pins;

	TRACE("set_pin(%u, %d)\n", pin, line_high);
	begin_operation(OPERATION_SET_PIN, pin, 0);
	/* The new level first: a message the call sends is checked against it. */
	if (pin < VIOAPIC_PIN_COUNT) {
		if (line_high)
			state.line_high |= 1u << pin;
		else
			state.line_high &= ~(1u << pin);
	}
	vioapic_set_pin(state.vio, pin, line_high);
	if (pin >= VIOAPIC_PIN_COUNT) {
		FUZZ_CHECK(vioapic_stats(state.vio)->invalid_pins == invalid_before + 1,
			   "set_pin(%u) not counted as invalid", pin);
		FUZZ_CHECK(state.calls == 0, "set_pin(%u) out of range called ops", pin);
	}
	check_after_operation();
}

static void do_eoi(uint8_t vector)
{
	TRACE("eoi(%#x)\n", vector);
	begin_operation(OPERATION_EOI, 0, vector);
	vioapic_eoi(state.vio, vector);
	check_after_operation();
}

static void do_reset(void)
{
	TRACE("reset\n");
	begin_operation(OPERATION_OTHER, 0, 0);
	vioapic_reset(state.vio);
	FUZZ_CHECK(state.calls == 0, "reset called ops");
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		FUZZ_CHECK(vioapic_rte(state.vio, pin) == VIOAPIC_RTE_RESET,
			   "pin %u: rte %#llx after reset", pin,
			   (unsigned long long)vioapic_rte(state.vio, pin));
		state.rte_written[pin] = VIOAPIC_RTE_RESET;
		state.rte_before[pin] = VIOAPIC_RTE_RESET; /* a reset may clear remote IRR */
	}
	state.ioregsel = 0;
	state.id = 0;
	state.refused_level = 0;
	/* vioapic.h: "the caller recomputes its EOI-exit bitmap after a reset". */
	compute_level_vectors(state.level_vectors, state.level_vectors_targeted);
	check_after_operation();
}

/* ---- decoding the input ---------------------------------------------------------------------- */

/* An MMIO offset: mostly the three registers and their bytes, sometimes anywhere (page or not). */
static uint32_t pick_offset(struct fuzz_input *in)
{
	static const uint32_t registers[] = { VIOAPIC_IOREGSEL, VIOAPIC_IOWIN, VIOAPIC_EOIR };
	uint8_t choice = input_u8(in);

	if (choice < 0x80)
		return registers[choice % 3];
	if (choice < 0xC0)
		return registers[choice % 3] + (choice >> 2) % 16; /* a byte inside the slot */
	if (choice < 0xF0)
		return input_u16(in) & 0xFFF;
	return input_u32(in);
}

static unsigned pick_size(struct fuzz_input *in)
{
	static const unsigned sizes[] = { 4, 4, 4, 4, 1, 2, 8, 0, 3, 16 };

	return sizes[input_u8(in) % ARRAY_SIZE(sizes)];
}

/* An IOREGSEL value: mostly ID/VER/ARB and the 48 RTE dwords, sometimes any byte. */
static uint8_t pick_register(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	if (choice < 0xD8)
		return (uint8_t)(choice % 51 < 3 ? choice % 51 : VIOAPIC_REG_REDTBL + choice % 51 - 3);
	return input_u8(in);
}

/* A vector: mostly one that some RTE holds, so that EOIs find something. */
static uint8_t pick_vector(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	if (choice < 0xC0)
		return (uint8_t)vioapic_rte(state.vio, choice % VIOAPIC_PIN_COUNT);
	return input_u8(in);
}

static unsigned pick_pin(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	return choice < 0xF8 ? choice % VIOAPIC_PIN_COUNT : choice;
}

static void run_operation(struct fuzz_input *in)
{
	uint8_t opcode = input_u8(in);
	unsigned pin;

	switch (opcode % 12) {
	case 0: { /* any MMIO write */
		uint32_t offset = pick_offset(in);
		unsigned size = pick_size(in);

		do_mmio_write(offset, size, input_u32(in));
		break;
	}
	case 1: { /* any MMIO read */
		uint32_t offset = pick_offset(in);

		do_mmio_read(offset, pick_size(in));
		break;
	}
	case 2: /* the guest's register write: IOREGSEL, then a dword to IOWIN */
	case 3:
		do_mmio_write(VIOAPIC_IOREGSEL, 4, pick_register(in));
		do_mmio_write(VIOAPIC_IOWIN, 4, input_u32(in));
		break;
	case 4: /* the guest's register read */
		do_mmio_write(VIOAPIC_IOREGSEL, opcode & 0x80 ? 1 : 4, pick_register(in));
		do_mmio_read(VIOAPIC_IOWIN, 4);
		break;
	case 5: /* a line level */
	case 6:
		pin = pick_pin(in);
		do_set_pin(pin, opcode & 0x10);
		break;
	case 7: /* a pulse, as device models raise and lower a line */
		pin = pick_pin(in);
		do_set_pin(pin, true);
		do_set_pin(pin, false);
		break;
	case 8: /* the vLAPIC's level-EOI hook */
		do_eoi(pick_vector(in));
		break;
	case 9: /* the EOI register */
		do_mmio_write(VIOAPIC_EOIR, opcode & 0x80 ? 8 : 4, pick_vector(in));
		break;
	case 10: /* which messages the APICs accept from now on */
		state.accept_policy = input_u8(in);
		TRACE("accept policy %#x\n", state.accept_policy);
		break;
	case 11:
		if (opcode & 0x80)
			do_reset();
		else
			do_mmio_write(VIOAPIC_IOREGSEL, 4, pick_register(in));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { .data = data, .size = size, .pos = 0 };

	memset(&state, 0, sizeof(state));
	state.accept_policy = input_u8(&in);
	state.target_salt = input_u8(&in);
	state.vio = vioapic_create(&fake_ops, &state);
	FUZZ_CHECK(state.vio, "vioapic_create failed (pool leaked by an earlier input?)");
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		state.rte_written[pin] = VIOAPIC_RTE_RESET;
	compute_level_vectors(state.level_vectors, state.level_vectors_targeted);

	while (in.pos < in.size)
		run_operation(&in);

	vioapic_destroy(state.vio);
	return 0;
}
