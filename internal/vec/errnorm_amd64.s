//go:build amd64 && !purego

#include "textflag.h"

// Kernels for error norms and their cotangents, with the conventions of
// vec_amd64.s: 256-bit AVX2 vectors, unaligned loads, the remainder left to
// Go.
//
// max(|u0|, |u1|) is taken on the bit patterns: with the sign bits cleared,
// the order of the patterns as signed 64-bit integers is the order of the
// values, and every NaN lies above +Inf. So VPCMPGTQ and a blend give the
// maximum and propagate a NaN from either operand, which VMAXPD does not
// (it returns its second source when either is NaN).

// ERRSQ fuses the square of one vector of scaled errors into acc, for the
// 4 elements at byte offset off from element BX:
//
//	Y8  = |u0|, Y9 = |u1| (sign bit cleared with the mask in Y15)
//	Y10 = max(Y8, Y9), then rtol*Y10 + atol rounded once (Y14, Y13)
//	Y11 = x / Y10
//	acc = Y11*Y11 + acc rounded once
#define ERRSQ(off, acc) \
	VANDNPD     off(R8)(BX*8), Y15, Y8  ; \
	VANDNPD     off(R10)(BX*8), Y15, Y9 ; \
	VPCMPGTQ    Y8, Y9, Y10             ; \
	VBLENDVPD   Y10, Y9, Y8, Y10        ; \
	VFMADD213PD Y13, Y14, Y10           ; \
	VMOVUPD     off(SI)(BX*8), Y11      ; \
	VDIVPD      Y10, Y11, Y11           ; \
	VFMADD231PD Y11, Y11, acc

// func errNormSumAVX2(x, u0, u1 []float64, atol, rtol float64, lanes *[16]float64)
//
// The block and lane structure of sumSqAVX2: Y0-Y3 hold the sums of the
// current block of 1024 elements, Y4-Y7 those of the finished blocks.
TEXT ·errNormSumAVX2(SB), NOSPLIT, $0-96
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVQ         u0_base+24(FP), R8
	MOVQ         u1_base+48(FP), R10
	VBROADCASTSD atol+72(FP), Y13
	VBROADCASTSD rtol+80(FP), Y14
	MOVQ         lanes+88(FP), DI
	MOVQ         $0x8000000000000000, AX
	MOVQ         AX, X15
	VBROADCASTSD X15, Y15          // Y15 = sign bit
	ANDQ         $-16, CX
	VXORPD       Y4, Y4, Y4
	VXORPD       Y5, Y5, Y5
	VXORPD       Y6, Y6, Y6
	VXORPD       Y7, Y7, Y7
	XORQ         BX, BX

enblock:
	CMPQ    BX, CX
	JGE     endone
	LEAQ    1024(BX), R9
	CMPQ    R9, CX
	CMOVQGT CX, R9
	VXORPD  Y0, Y0, Y0
	VXORPD  Y1, Y1, Y1
	VXORPD  Y2, Y2, Y2
	VXORPD  Y3, Y3, Y3

enloop:
	ERRSQ(0, Y0)
	ERRSQ(32, Y1)
	ERRSQ(64, Y2)
	ERRSQ(96, Y3)
	ADDQ   $16, BX
	CMPQ   BX, R9
	JLT    enloop
	VADDPD Y0, Y4, Y4
	VADDPD Y1, Y5, Y5
	VADDPD Y2, Y6, Y6
	VADDPD Y3, Y7, Y7
	JMP    enblock

endone:
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)
	VZEROUPPER
	RET

// func errNormBackAVX2(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64)
//
// Four elements per iteration, branch-free in the data: the mask
// ge = (|u0| >= |u1|, false on NaN) selects u = ge ? u0 : u1, and
// v = ds*sign(u) with sign(u) = (u != 0, false on NaN) & (1.0 | signbit(u)).
// g0 gets ge ? v : -0 added and g1 ge ? -0 : v; adding -0 changes nothing.
// A nil destination (base pointer 0) is skipped by a branch that goes the
// same way every iteration.
//
// Constants: Y15 sign bit (= -0.0), Y14 rtol, Y13 atol, Y12 c, Y11 -rtol,
// Y10 1.0, Y9 0.0.
TEXT ·errNormBackAVX2(SB), NOSPLIT, $0-168
	MOVQ         gx_base+0(FP), DI
	MOVQ         g0_base+24(FP), SI
	MOVQ         g1_base+48(FP), DX
	MOVQ         x_base+72(FP), R8
	MOVQ         x_len+80(FP), CX
	MOVQ         u0_base+96(FP), R9
	MOVQ         u1_base+120(FP), R10
	VBROADCASTSD atol+144(FP), Y13
	VBROADCASTSD rtol+152(FP), Y14
	VBROADCASTSD c+160(FP), Y12
	MOVQ         $0x8000000000000000, AX
	MOVQ         AX, X15
	VBROADCASTSD X15, Y15
	VXORPD       Y14, Y15, Y11
	MOVQ         $0x3ff0000000000000, AX
	MOVQ         AX, X10
	VBROADCASTSD X10, Y10
	VXORPD       Y9, Y9, Y9
	MOVQ         SI, R11
	ORQ          DX, R11           // R11 = 0 if both g0 and g1 are nil
	ANDQ         $-4, CX
	XORQ         BX, BX

ebloop:
	CMPQ        BX, CX
	JGE         ebdone
	VMOVUPD     (R9)(BX*8), Y0     // u0
	VMOVUPD     (R10)(BX*8), Y1    // u1
	VANDNPD     Y0, Y15, Y2        // a0 = |u0|
	VANDNPD     Y1, Y15, Y3        // a1 = |u1|
	VPCMPGTQ    Y2, Y3, Y4         // a1 > a0 as integers
	VCMPPD      $0x1d, Y3, Y2, Y5  // ge = a0 >= a1 (GE_OQ)
	VBLENDVPD   Y4, Y3, Y2, Y4     // max(a0, a1), NaN if either is
	VFMADD213PD Y13, Y14, Y4       // scale = rtol*max + atol
	VDIVPD      Y4, Y10, Y4        // inv = 1/scale
	VMULPD      (R8)(BX*8), Y4, Y6 // r = x*inv
	VMULPD      Y6, Y12, Y7        // cr = c*r
	TESTQ       DI, DI
	JZ          ebu
	VMOVUPD     (DI)(BX*8), Y8
	VFMADD231PD Y4, Y7, Y8         // gx += cr*inv, fused
	VMOVUPD     Y8, (DI)(BX*8)

ebu:
	TESTQ     R11, R11
	JZ        ebnext
	VMULPD    Y6, Y7, Y7           // cr*r
	VMULPD    Y4, Y7, Y7           // *inv
	VMULPD    Y11, Y7, Y7          // ds = *(-rtol)
	VBLENDVPD Y5, Y0, Y1, Y0       // u = ge ? u0 : u1
	VCMPPD    $0x0c, Y9, Y0, Y1    // u != 0 (NEQ_OQ)
	VANDPD    Y15, Y0, Y2
	VORPD     Y10, Y2, Y2          // ±1 with the sign of u
	VANDPD    Y1, Y2, Y2           // sign(u)
	VMULPD    Y2, Y7, Y7           // v = ds*sign(u)
	TESTQ     SI, SI
	JZ        eb1
	VBLENDVPD Y5, Y7, Y15, Y3      // ge ? v : -0
	VADDPD    (SI)(BX*8), Y3, Y3
	VMOVUPD   Y3, (SI)(BX*8)

eb1:
	TESTQ     DX, DX
	JZ        ebnext
	VBLENDVPD Y5, Y15, Y7, Y3      // ge ? -0 : v
	VADDPD    (DX)(BX*8), Y3, Y3
	VMOVUPD   Y3, (DX)(BX*8)

ebnext:
	ADDQ $4, BX
	JMP  ebloop

ebdone:
	VZEROUPPER
	RET

// func rmsDiffBackAVX2(ga, gb, a, b []float64, c float64)
//
// d = a-b, then ga = c*d + ga and gb = -(c*d) + gb, each rounded once.
TEXT ·rmsDiffBackAVX2(SB), NOSPLIT, $0-104
	MOVQ         ga_base+0(FP), DI
	MOVQ         gb_base+24(FP), SI
	MOVQ         a_base+48(FP), R8
	MOVQ         a_len+56(FP), CX
	MOVQ         b_base+72(FP), R9
	VBROADCASTSD c+96(FP), Y15
	ANDQ         $-4, CX
	XORQ         BX, BX

rb16:
	LEAQ    16(BX), R10
	CMPQ    R10, CX
	JGT     rb4
	VMOVUPD (R8)(BX*8), Y0
	VMOVUPD 32(R8)(BX*8), Y1
	VMOVUPD 64(R8)(BX*8), Y2
	VMOVUPD 96(R8)(BX*8), Y3
	VSUBPD  (R9)(BX*8), Y0, Y0
	VSUBPD  32(R9)(BX*8), Y1, Y1
	VSUBPD  64(R9)(BX*8), Y2, Y2
	VSUBPD  96(R9)(BX*8), Y3, Y3
	TESTQ   DI, DI
	JZ      rb16b
	VMOVUPD     (DI)(BX*8), Y4
	VMOVUPD     32(DI)(BX*8), Y5
	VMOVUPD     64(DI)(BX*8), Y6
	VMOVUPD     96(DI)(BX*8), Y7
	VFMADD231PD Y0, Y15, Y4
	VFMADD231PD Y1, Y15, Y5
	VFMADD231PD Y2, Y15, Y6
	VFMADD231PD Y3, Y15, Y7
	VMOVUPD     Y4, (DI)(BX*8)
	VMOVUPD     Y5, 32(DI)(BX*8)
	VMOVUPD     Y6, 64(DI)(BX*8)
	VMOVUPD     Y7, 96(DI)(BX*8)

rb16b:
	TESTQ SI, SI
	JZ    rb16next
	VMOVUPD      (SI)(BX*8), Y4
	VMOVUPD      32(SI)(BX*8), Y5
	VMOVUPD      64(SI)(BX*8), Y6
	VMOVUPD      96(SI)(BX*8), Y7
	VFNMADD231PD Y0, Y15, Y4
	VFNMADD231PD Y1, Y15, Y5
	VFNMADD231PD Y2, Y15, Y6
	VFNMADD231PD Y3, Y15, Y7
	VMOVUPD      Y4, (SI)(BX*8)
	VMOVUPD      Y5, 32(SI)(BX*8)
	VMOVUPD      Y6, 64(SI)(BX*8)
	VMOVUPD      Y7, 96(SI)(BX*8)

rb16next:
	MOVQ R10, BX
	JMP  rb16

rb4:
	CMPQ    BX, CX
	JGE     rbdone
	VMOVUPD (R8)(BX*8), Y0
	VSUBPD  (R9)(BX*8), Y0, Y0
	TESTQ   DI, DI
	JZ      rb4b
	VMOVUPD     (DI)(BX*8), Y4
	VFMADD231PD Y0, Y15, Y4
	VMOVUPD     Y4, (DI)(BX*8)

rb4b:
	TESTQ SI, SI
	JZ    rb4next
	VMOVUPD      (SI)(BX*8), Y4
	VFNMADD231PD Y0, Y15, Y4
	VMOVUPD      Y4, (SI)(BX*8)

rb4next:
	ADDQ $4, BX
	JMP  rb4

rbdone:
	VZEROUPPER
	RET
