//go:build amd64 && !purego

#include "textflag.h"

// All kernels use 256-bit AVX2 vectors of 4 float64 and unaligned loads and
// stores; they handle 16 elements (four vectors) per iteration, then 4 at a
// time, and leave the last len%4 elements (len%16 for the sums) to Go.

// func linCombAVX2(dst []float64, acc bool, c []float64, src [][]float64)
//
// Per block of elements, the accumulators are initialised from dst (acc) or
// as c[0]*src[0] (!acc); then one loop runs over the remaining sources,
// loading each source's base pointer and broadcasting its coefficient.
TEXT ·linCombAVX2(SB), NOSPLIT, $0-80
	MOVQ    dst_base+0(FP), DI
	MOVQ    dst_len+8(FP), CX
	MOVBQZX acc+24(FP), AX
	MOVQ    c_base+32(FP), R8
	MOVQ    src_base+56(FP), SI
	MOVQ    src_len+64(FP), DX
	ANDQ    $-4, CX            // CX = number of elements handled here
	MOVQ    (SI), R14          // R14 = &src[0][0]
	VBROADCASTSD (R8), Y8      // Y8 = c[0]
	TESTQ   AX, AX
	JNZ     lcsetup
	ADDQ    $24, SI            // !acc: the loop starts at source 1
	ADDQ    $8, R8
	DECQ    DX

lcsetup:
	XORQ BX, BX                // BX = element index

lc16:
	LEAQ  16(BX), R9
	CMPQ  R9, CX
	JGT   lc4
	TESTQ AX, AX
	JZ    lc16mul
	VMOVUPD (DI)(BX*8), Y0
	VMOVUPD 32(DI)(BX*8), Y1
	VMOVUPD 64(DI)(BX*8), Y2
	VMOVUPD 96(DI)(BX*8), Y3
	JMP     lc16src

lc16mul:
	VMULPD (R14)(BX*8), Y8, Y0
	VMULPD 32(R14)(BX*8), Y8, Y1
	VMULPD 64(R14)(BX*8), Y8, Y2
	VMULPD 96(R14)(BX*8), Y8, Y3

lc16src:
	MOVQ  SI, R11              // R11 walks the slice headers
	MOVQ  R8, R12              // R12 walks the coefficients
	MOVQ  DX, R13              // R13 counts the sources left
	TESTQ R13, R13
	JZ    lc16store

lc16loop:
	MOVQ         (R11), R10
	VBROADCASTSD (R12), Y4
	VFMADD231PD  (R10)(BX*8), Y4, Y0
	VFMADD231PD  32(R10)(BX*8), Y4, Y1
	VFMADD231PD  64(R10)(BX*8), Y4, Y2
	VFMADD231PD  96(R10)(BX*8), Y4, Y3
	ADDQ         $24, R11
	ADDQ         $8, R12
	DECQ         R13
	JNZ          lc16loop

lc16store:
	VMOVUPD Y0, (DI)(BX*8)
	VMOVUPD Y1, 32(DI)(BX*8)
	VMOVUPD Y2, 64(DI)(BX*8)
	VMOVUPD Y3, 96(DI)(BX*8)
	MOVQ    R9, BX
	JMP     lc16

lc4:
	CMPQ  BX, CX
	JGE   lcdone
	TESTQ AX, AX
	JZ    lc4mul
	VMOVUPD (DI)(BX*8), Y0
	JMP     lc4src

lc4mul:
	VMULPD (R14)(BX*8), Y8, Y0

lc4src:
	MOVQ  SI, R11
	MOVQ  R8, R12
	MOVQ  DX, R13
	TESTQ R13, R13
	JZ    lc4store

lc4loop:
	MOVQ         (R11), R10
	VBROADCASTSD (R12), Y4
	VFMADD231PD  (R10)(BX*8), Y4, Y0
	ADDQ         $24, R11
	ADDQ         $8, R12
	DECQ         R13
	JNZ          lc4loop

lc4store:
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     lc4

lcdone:
	VZEROUPPER
	RET

// func tanhBackAVX2(dst, g, y []float64)
//
// t = -(y*y)+1 with one rounding (VFNMADD), then dst = g*t.
TEXT ·tanhBackAVX2(SB), NOSPLIT, $0-72
	MOVQ    dst_base+0(FP), DI
	MOVQ    dst_len+8(FP), CX
	MOVQ    g_base+24(FP), SI
	MOVQ    y_base+48(FP), DX
	ANDQ    $-4, CX
	MOVQ    $0x3ff0000000000000, R8
	MOVQ    R8, X15
	VBROADCASTSD X15, Y15      // Y15 = 1.0
	XORQ    BX, BX

tb16:
	LEAQ         16(BX), R9
	CMPQ         R9, CX
	JGT          tb4
	VMOVUPD      (DX)(BX*8), Y0
	VMOVUPD      32(DX)(BX*8), Y1
	VMOVUPD      64(DX)(BX*8), Y2
	VMOVUPD      96(DX)(BX*8), Y3
	VFNMADD213PD Y15, Y0, Y0
	VFNMADD213PD Y15, Y1, Y1
	VFNMADD213PD Y15, Y2, Y2
	VFNMADD213PD Y15, Y3, Y3
	VMULPD       (SI)(BX*8), Y0, Y0
	VMULPD       32(SI)(BX*8), Y1, Y1
	VMULPD       64(SI)(BX*8), Y2, Y2
	VMULPD       96(SI)(BX*8), Y3, Y3
	VMOVUPD      Y0, (DI)(BX*8)
	VMOVUPD      Y1, 32(DI)(BX*8)
	VMOVUPD      Y2, 64(DI)(BX*8)
	VMOVUPD      Y3, 96(DI)(BX*8)
	MOVQ         R9, BX
	JMP          tb16

tb4:
	CMPQ         BX, CX
	JGE          tbdone
	VMOVUPD      (DX)(BX*8), Y0
	VFNMADD213PD Y15, Y0, Y0
	VMULPD       (SI)(BX*8), Y0, Y0
	VMOVUPD      Y0, (DI)(BX*8)
	ADDQ         $4, BX
	JMP          tb4

tbdone:
	VZEROUPPER
	RET

// func sumSqAVX2(x []float64, lanes *[16]float64)
//
// Y0-Y3 hold the partial sums of the current block of sumBlock = 1024
// elements (64 per lane), Y4-Y7 the sums of the finished blocks. Lane l of
// the 16 (Y0 holds lanes 0-3, ..., Y3 lanes 12-15) takes the elements
// i = l mod 16.
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   lanes+24(FP), DI
	ANDQ   $-16, CX
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   BX, BX

ssblock:
	CMPQ   BX, CX
	JGE    ssdone
	LEAQ   1024(BX), R9        // R9 = end of this block
	CMPQ   R9, CX
	CMOVQGT CX, R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

ssloop:
	VMOVUPD     (SI)(BX*8), Y8
	VMOVUPD     32(SI)(BX*8), Y9
	VMOVUPD     64(SI)(BX*8), Y10
	VMOVUPD     96(SI)(BX*8), Y11
	VFMADD231PD Y8, Y8, Y0
	VFMADD231PD Y9, Y9, Y1
	VFMADD231PD Y10, Y10, Y2
	VFMADD231PD Y11, Y11, Y3
	ADDQ        $16, BX
	CMPQ        BX, R9
	JLT         ssloop
	VADDPD      Y0, Y4, Y4
	VADDPD      Y1, Y5, Y5
	VADDPD      Y2, Y6, Y6
	VADDPD      Y3, Y7, Y7
	JMP         ssblock

ssdone:
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)
	VZEROUPPER
	RET

// func sumSqDiffAVX2(a, b []float64, lanes *[16]float64)
//
// As sumSqAVX2, on the differences a[i]-b[i].
TEXT ·sumSqDiffAVX2(SB), NOSPLIT, $0-56
	MOVQ   a_base+0(FP), SI
	MOVQ   a_len+8(FP), CX
	MOVQ   b_base+24(FP), DX
	MOVQ   lanes+48(FP), DI
	ANDQ   $-16, CX
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   BX, BX

sdblock:
	CMPQ   BX, CX
	JGE    sddone
	LEAQ   1024(BX), R9
	CMPQ   R9, CX
	CMOVQGT CX, R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

sdloop:
	VMOVUPD     (SI)(BX*8), Y8
	VMOVUPD     32(SI)(BX*8), Y9
	VMOVUPD     64(SI)(BX*8), Y10
	VMOVUPD     96(SI)(BX*8), Y11
	VSUBPD      (DX)(BX*8), Y8, Y8
	VSUBPD      32(DX)(BX*8), Y9, Y9
	VSUBPD      64(DX)(BX*8), Y10, Y10
	VSUBPD      96(DX)(BX*8), Y11, Y11
	VFMADD231PD Y8, Y8, Y0
	VFMADD231PD Y9, Y9, Y1
	VFMADD231PD Y10, Y10, Y2
	VFMADD231PD Y11, Y11, Y3
	ADDQ        $16, BX
	CMPQ        BX, R9
	JLT         sdloop
	VADDPD      Y0, Y4, Y4
	VADDPD      Y1, Y5, Y5
	VADDPD      Y2, Y6, Y6
	VADDPD      Y3, Y7, Y7
	JMP         sdblock

sddone:
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)
	VZEROUPPER
	RET
