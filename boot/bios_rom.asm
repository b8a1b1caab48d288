; SPDX-License-Identifier: MIT
;
; The few real-mode handlers a PC BIOS leaves behind for a kernel it boots, which apicvisor puts
; in the guest's BIOS area (segment F000H, at BIOS_ROM_OFFSET: boot/bios.c) and points the
; real-mode interrupt vector table at, as SeaBIOS does for QEMU's -kernel guests. A kernel that
; runs `sti; hlt` in real mode right after boot is woken by the timer tick and comes back from
; it; one that calls a BIOS service finds it absent, said the way the BIOS says it.
;
; Assembled as a flat binary (nasm -f bin) and embedded by boot/bios_rom_blob.asm. It starts with
; a table of the handlers' offsets within segment F000H, in the order of enum bios_handler
; (boot/bios.h), which boot/bios.c reads to fill in the vector table.
;
; The interrupt controllers are the 8259 pair as the BIOS programmed them: master at vectors
; 08H-0FH, slave at 70H-77H on master input 2 (boot/bios.h); EOI is OCW2 20H (non-specific).

bits 16
org 0xE000                      ; BIOS_ROM_OFFSET: offsets below are segment F000H's

PIC_MASTER_COMMAND equ 0x20
PIC_SLAVE_COMMAND  equ 0xA0
PIC_EOI            equ 0x20
CMOS_INDEX         equ 0x70
CMOS_DATA          equ 0x71
CMOS_REG_C         equ 0x0C     ; MC146818 register C: reading it clears the interrupt flags
KBC_DATA           equ 0x60

BDA_TICKS          equ 0x46C    ; dword: timer ticks since midnight (segment 0)
BDA_MIDNIGHT       equ 0x470    ; byte: set when the tick count passed midnight
TICKS_PER_DAY_HIGH equ 0x18     ; 1800B0H ticks: 24 h at 1193182 / 65536 Hz
TICKS_PER_DAY_LOW  equ 0xB0

handlers:
	dw irq0                 ; BIOS_HANDLER_IRQ0
	dw keyboard_irq         ; BIOS_HANDLER_KEYBOARD_IRQ
	dw master_irq           ; BIOS_HANDLER_MASTER_IRQ
	dw rtc_irq              ; BIOS_HANDLER_RTC_IRQ
	dw slave_irq            ; BIOS_HANDLER_SLAVE_IRQ
	dw iret_only            ; BIOS_HANDLER_IRET
	dw no_service           ; BIOS_HANDLER_NO_SERVICE
	dw 0x55AA               ; end of the table (checked by boot/bios.c)

; INT 08H, IRQ 0: the BIOS tick. Counts the ticks since midnight in the BIOS data area (wrapping
; at midnight and setting the midnight flag), calls the user tick hook INT 1CH, acknowledges the
; master 8259.
irq0:
	push ax
	push ds
	xor ax, ax
	mov ds, ax
	add word [BDA_TICKS], 1
	adc word [BDA_TICKS + 2], 0
	cmp word [BDA_TICKS + 2], TICKS_PER_DAY_HIGH    ; the count >= 1800B0H: midnight
	jb .counted
	ja .midnight
	cmp word [BDA_TICKS], TICKS_PER_DAY_LOW
	jb .counted
.midnight:
	mov word [BDA_TICKS], 0
	mov word [BDA_TICKS + 2], 0
	mov byte [BDA_MIDNIGHT], 1
.counted:
	int 0x1C
	mov al, PIC_EOI
	out PIC_MASTER_COMMAND, al
	pop ds
	pop ax
	iret

; INT 09H, IRQ 1: the keyboard controller's output buffer is read (the byte dropped: there is
; no keyboard, but a controller that raised IRQ 1 holds it until then), then acknowledged.
keyboard_irq:
	push ax
	in al, KBC_DATA
	jmp master_eoi

; IRQs 2-7 (INT 0AH-0FH), no device of the BIOS's behind them: acknowledged and dropped.
master_irq:
	push ax
master_eoi:
	mov al, PIC_EOI
	out PIC_MASTER_COMMAND, al
	pop ax
	iret

; INT 70H, IRQ 8: the RTC. Register C is read, so that the RTC can interrupt again (its IRQ line
; stays asserted until it is), then both 8259s acknowledged.
rtc_irq:
	push ax
	mov al, CMOS_REG_C
	out CMOS_INDEX, al
	in al, CMOS_DATA
	jmp slave_eoi

; IRQs 9-15 (INT 71H-77H): acknowledged at the slave, then at the master's cascade input.
slave_irq:
	push ax
slave_eoi:
	mov al, PIC_EOI
	out PIC_SLAVE_COMMAND, al
	out PIC_MASTER_COMMAND, al
	pop ax
	iret

; The exceptions, INT 1CH (the user tick hook) and every vector nothing else claims.
iret_only:
	iret

; INT 10H-1AH, the BIOS services: none is provided. Returns with CF set and AH = 86H, the
; "function not supported" answer of INT 15H, in the caller's FLAGS image (IF and the rest kept).
no_service:
	push bp
	mov bp, sp
	or byte [bp + 6], 1     ; FLAGS above BP, IP, CS: CF
	pop bp
	mov ah, 0x86
	iret
