//go:build !purego

#include "textflag.h"

// Byte offsets of the rows of tanhVecTab (tanh_amd64.go), 32 bytes each;
// TestTanhVecTabLayout checks them.
#define ABSMASK 0
#define SIGNMASK 32
#define CLAMP 64
#define SHIFT 96
#define INV 128
#define LN2HI 160
#define LN2LO 192
#define ONE 224
#define TWO 256
#define HALF 288
#define C1 320
#define C2 352
#define C3 384
#define C4 416
#define C5 448
#define LANEIDX 480
#define JMASK 512
#define TABHI 544
#define TABLO 672

// tanhAVX2 and tanhAVX512 compute tanh by the algorithm described in
// tanhvec.go. Each operation of tanhVecModel (tanhvec_test.go) is one
// instruction here, in the same order, and every instruction rounds once, so
// the kernels and the model give the same bits.
//
// The work is split in two passes: A takes x to (t, qh, ql), B takes those to
// tanh(x). The kernels run through the input in blocks of 128 elements; a
// loop of pass A over the block saves (t, qh, ql) in a scratch area on the
// stack, then a loop of pass B over the block finishes it. Each loop has
// independent iterations with about half the dependency chain of the whole
// computation, so the processor's out-of-order window holds more of them at
// once than iterations of a loop doing both passes. A last group of fewer
// elements than a vector goes through both passes at once with masked loads
// and stores.

// PASSA_Y: Y0 = x in; Y2 = t, Y0 = qh, Y5 = ql out; clobbers Y0-Y6.
// Needs Y7 = clamp, Y8 = shift, Y11 = abs mask, Y13 = 32/ln2,
// Y14 = ln2hi/16, Y15 = -ln2lo/16 and R8 = tab.
#define PASSA_Y \
	VANDPD        Y11, Y0, Y2                    \ // a = |x|
	VMINPD        Y2, Y7, Y2                     \ // a = min(clamp, a); NaN stays NaN
	VADDPD        Y2, Y2, Y1                     \ // 2a
	VFMADD213PD   Y8, Y13, Y2                    \ // t = a*32/ln2 + shift: n = round(32a/ln2) in the low bits
	VSUBPD        Y8, Y2, Y3                     \ // nf = t - shift = n
	VFNMADD231PD  Y14, Y3, Y1                    \ // rh = 2a - n*ln2hi/16, exact
	VMULPD        Y15, Y3, Y3                    \ // rl = -n*ln2lo/16: 2a - n*ln2/16 = rh + rl
	VMULPD        Y1, Y1, Y4                     \ // r2 = rh*rh
	VMOVUPD       C1(R8), Y0                     \
	VFMADD213PD   HALF(R8), Y1, Y0               \ // c1*rh + 1/2
	VMOVUPD       C3(R8), Y5                     \
	VFMADD213PD   C2(R8), Y1, Y5                 \ // c3*rh + c2
	VMOVUPD       C5(R8), Y6                     \
	VFMADD213PD   C4(R8), Y1, Y6                 \ // c5*rh + c4
	VFMADD213PD   Y5, Y4, Y6                     \
	VFMADD213PD   Y0, Y4, Y6                     \ // p = 1/2 + c1*rh + ... + c5*rh^5
	VMOVAPD       Y1, Y0                         \
	VFMADD231PD   Y6, Y4, Y0                     \ // qh = rh + r2*p, rounded
	VSUBPD        Y0, Y1, Y1                     \ // rh - qh (exact)
	VFMADD231PD   Y6, Y4, Y1                     \ // rh + r2*p - qh
	VFMADD213PD   Y3, Y0, Y3                     \ // rl*(1 + qh)
	VADDPD        Y3, Y1, Y5                      // ql: qh + ql = e^(rh+rl) - 1

// PASSB_Y: Y2 = t, Y0 = qh, Y5 = ql in; Y5 = |tanh x| out; clobbers Y0-Y6.
// Needs Y9 = 2, Y10 = 1 and R8 = tab.
#define PASSB_Y \
	VPAND         JMASK(R8), Y2, Y1              \ // j = n mod 16
	VPCMPEQQ      Y3, Y3, Y3                     \
	VGATHERQPD    Y3, TABHI(R8)(Y1*8), Y4        \ // hi bits of 2^(j/16)
	VPCMPEQQ      Y3, Y3, Y3                     \
	VGATHERQPD    Y3, TABLO(R8)(Y1*8), Y6        \ // lo bits
	VPSLLQ        $48, Y2, Y2                    \
	VPADDQ        Y2, Y4, Y4                     \ // sh = 2^m*hi, n = 16m + j
	VPADDQ        Y2, Y6, Y6                     \ // sl = 2^m*lo
	VSUBPD        Y10, Y4, Y2                    \ // sh - 1 (exact)
	VMOVAPD       Y2, Y1                         \
	VFMADD231PD   Y0, Y4, Y1                     \ // nh = sh - 1 + sh*qh, rounded
	VSUBPD        Y1, Y2, Y2                     \ // (sh - 1) - nh (exact)
	VFMADD231PD   Y0, Y4, Y2                     \ // sh - 1 + sh*qh - nh
	VFMADD213PD   Y6, Y0, Y6                     \ // sl*(1 + qh)
	VADDPD        Y6, Y2, Y2                     \
	VFMADD231PD   Y5, Y4, Y2                     \ // nl: nh + nl = e^(2a) - 1
	VADDPD        Y9, Y1, Y0                     \ // dh = nh + 2
	VMAXPD        Y9, Y1, Y3                     \
	VMINPD        Y9, Y1, Y4                     \
	VSUBPD        Y0, Y3, Y3                     \
	VADDPD        Y4, Y3, Y3                     \
	VADDPD        Y2, Y3, Y3                     \ // dl: dh + dl = nh + nl + 2
	VDIVPD        Y0, Y10, Y4                    \ // 1/dh
	VMULPD        Y1, Y4, Y5                     \ // y0 = nh/dh
	VFNMADD231PD  Y0, Y5, Y1                     \ // nh - y0*dh (exact)
	VFNMADD231PD  Y3, Y5, Y2                     \ // nl - y0*dl
	VADDPD        Y2, Y1, Y1                     \ // e = n - y0*d
	VFMADD231PD   Y1, Y4, Y5                      // y = y0 + e/dh

// func tanhAVX2(dst, src []float64, tab *[tvRows][4]uint64)
TEXT ·tanhAVX2(SB), 0, $3136-56
	MOVQ    dst_base+0(FP), DI
	MOVQ    src_base+24(FP), SI
	MOVQ    src_len+32(FP), CX
	MOVQ    tab+48(FP), R8
	LEAQ    63(SP), R9
	ANDQ    $-64, R9       // scratch: 32 vectors of (t, qh, ql)
	VMOVUPD CLAMP(R8), Y7
	VMOVUPD SHIFT(R8), Y8
	VMOVUPD TWO(R8), Y9
	VMOVUPD ONE(R8), Y10
	VMOVUPD ABSMASK(R8), Y11
	VMOVUPD SIGNMASK(R8), Y12
	VMOVUPD INV(R8), Y13
	VMOVUPD LN2HI(R8), Y14
	VMOVUPD LN2LO(R8), Y15

block2:
	MOVQ CX, DX
	SHRQ $2, DX            // whole vectors left
	JZ   tail2
	CMPQ DX, $32
	JBE  passA2
	MOVQ $32, DX

passA2:
	MOVQ SI, R10
	MOVQ R9, R11
	MOVQ DX, BX

loopA2:
	VMOVUPD (R10), Y0
	PASSA_Y
	VMOVUPD Y2, (R11)
	VMOVUPD Y0, 32(R11)
	VMOVUPD Y5, 64(R11)
	ADDQ    $32, R10
	ADDQ    $96, R11
	DECQ    BX
	JNZ     loopA2

	MOVQ R9, R11
	MOVQ DX, BX

loopB2:
	VMOVUPD (R11), Y2
	VMOVUPD 32(R11), Y0
	VMOVUPD 64(R11), Y5
	PASSB_Y
	VANDPD  (SI), Y12, Y0
	VORPD   Y0, Y5, Y5     // copy the sign of x
	VMOVUPD Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $96, R11
	DECQ    BX
	JNZ     loopB2

	SHLQ $2, DX
	SUBQ DX, CX
	JMP  block2

tail2:
	TESTQ CX, CX
	JZ    done2
	// Lanes 0 to CX-1 of Y12 all ones, the others zero.
	MOVQ         CX, X12
	VPBROADCASTQ X12, Y12
	VPCMPGTQ     LANEIDX(R8), Y12, Y12
	VMASKMOVPD   (SI), Y12, Y0
	PASSA_Y
	PASSB_Y
	VMASKMOVPD   (SI), Y12, Y0
	VANDPD       SIGNMASK(R8), Y0, Y0
	VORPD        Y0, Y5, Y5
	VMASKMOVPD   Y5, Y12, (DI)

done2:
	VZEROUPPER
	RET

// PASSA_Z and PASSB_Z are PASSA_Y and PASSB_Y on eight lanes. They need
// Z7 = clamp, Z8 = shift, Z9 = 2, Z10 = 1, Z11 = abs mask, Z13 = 32/ln2,
// Z14 = ln2hi/16, Z15 = -ln2lo/16, Z16 = 1/2, Z18 = c2, Z20 = c4 and
// R8 = tab. The table lookup is a two-source permute of the 16
// entries (two 8-lane halves), indexed by the low 4 bits of t.
#define PASSA_Z \
	VANDPD        Z11, Z0, Z2                    \ // a = |x|
	VMINPD        Z2, Z7, Z2                     \ // a = min(clamp, a); NaN stays NaN
	VADDPD        Z2, Z2, Z1                     \ // 2a
	VFMADD213PD   Z8, Z13, Z2                    \ // t = a*32/ln2 + shift: n = round(32a/ln2) in the low bits
	VSUBPD        Z8, Z2, Z3                     \ // nf = t - shift = n
	VFNMADD231PD  Z14, Z3, Z1                    \ // rh = 2a - n*ln2hi/16, exact
	VMULPD        Z15, Z3, Z3                    \ // rl = -n*ln2lo/16: 2a - n*ln2/16 = rh + rl
	VMULPD        Z1, Z1, Z4                     \ // r2 = rh*rh
	VBROADCASTSD  C1(R8), Z0                     \
	VFMADD213PD   Z16, Z1, Z0                    \ // c1*rh + 1/2
	VBROADCASTSD  C3(R8), Z5                     \
	VFMADD213PD   Z18, Z1, Z5                    \ // c3*rh + c2
	VBROADCASTSD  C5(R8), Z6                     \
	VFMADD213PD   Z20, Z1, Z6                    \ // c5*rh + c4
	VFMADD213PD   Z5, Z4, Z6                     \
	VFMADD213PD   Z0, Z4, Z6                     \ // p = 1/2 + c1*rh + ... + c5*rh^5
	VMOVAPD       Z1, Z0                         \
	VFMADD231PD   Z6, Z4, Z0                     \ // qh = rh + r2*p, rounded
	VSUBPD        Z0, Z1, Z1                     \ // rh - qh (exact)
	VFMADD231PD   Z6, Z4, Z1                     \ // rh + r2*p - qh
	VFMADD213PD   Z3, Z0, Z3                     \ // rl*(1 + qh)
	VADDPD        Z3, Z1, Z5                      // ql: qh + ql = e^(rh+rl) - 1

#define PASSB_Z \
	VMOVUPD       TABHI(R8), Z4                  \
	VPERMT2PD     TABHI+64(R8), Z2, Z4           \ // hi bits of 2^(j/16), j = n mod 16
	VMOVUPD       TABLO(R8), Z6                  \
	VPERMT2PD     TABLO+64(R8), Z2, Z6           \ // lo bits
	VPSLLQ        $48, Z2, Z2                    \
	VPADDQ        Z2, Z4, Z4                     \ // sh = 2^m*hi, n = 16m + j
	VPADDQ        Z2, Z6, Z6                     \ // sl = 2^m*lo
	VSUBPD        Z10, Z4, Z2                    \ // sh - 1 (exact)
	VMOVAPD       Z2, Z1                         \
	VFMADD231PD   Z0, Z4, Z1                     \ // nh = sh - 1 + sh*qh, rounded
	VSUBPD        Z1, Z2, Z2                     \ // (sh - 1) - nh (exact)
	VFMADD231PD   Z0, Z4, Z2                     \ // sh - 1 + sh*qh - nh
	VFMADD213PD   Z6, Z0, Z6                     \ // sl*(1 + qh)
	VADDPD        Z6, Z2, Z2                     \
	VFMADD231PD   Z5, Z4, Z2                     \ // nl: nh + nl = e^(2a) - 1
	VADDPD        Z9, Z1, Z0                     \ // dh = nh + 2
	VMAXPD        Z9, Z1, Z3                     \
	VMINPD        Z9, Z1, Z4                     \
	VSUBPD        Z0, Z3, Z3                     \
	VADDPD        Z4, Z3, Z3                     \
	VADDPD        Z2, Z3, Z3                     \ // dl: dh + dl = nh + nl + 2
	VDIVPD        Z0, Z10, Z4                    \ // 1/dh
	VMULPD        Z1, Z4, Z5                     \ // y0 = nh/dh
	VFNMADD231PD  Z0, Z5, Z1                     \ // nh - y0*dh (exact)
	VFNMADD231PD  Z3, Z5, Z2                     \ // nl - y0*dl
	VADDPD        Z2, Z1, Z1                     \ // e = n - y0*d
	VFMADD231PD   Z1, Z4, Z5                      // y = y0 + e/dh

// func tanhAVX512(dst, src []float64, tab *[tvRows][4]uint64)
TEXT ·tanhAVX512(SB), 0, $3136-56
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         src_len+32(FP), CX
	MOVQ         tab+48(FP), R8
	LEAQ         63(SP), R9
	ANDQ         $-64, R9  // scratch: 16 vectors of (t, qh, ql)
	VBROADCASTSD CLAMP(R8), Z7
	VBROADCASTSD SHIFT(R8), Z8
	VBROADCASTSD TWO(R8), Z9
	VBROADCASTSD ONE(R8), Z10
	VBROADCASTSD ABSMASK(R8), Z11
	VBROADCASTSD SIGNMASK(R8), Z12
	VBROADCASTSD INV(R8), Z13
	VBROADCASTSD LN2HI(R8), Z14
	VBROADCASTSD LN2LO(R8), Z15
	VBROADCASTSD HALF(R8), Z16
	VBROADCASTSD C2(R8), Z18
	VBROADCASTSD C4(R8), Z20

block5:
	MOVQ CX, DX
	SHRQ $3, DX
	JZ   tail5
	CMPQ DX, $16
	JBE  passA5
	MOVQ $16, DX

passA5:
	MOVQ SI, R10
	MOVQ R9, R11
	MOVQ DX, BX

loopA5:
	VMOVUPD (R10), Z0
	PASSA_Z
	VMOVUPD Z2, (R11)
	VMOVUPD Z0, 64(R11)
	VMOVUPD Z5, 128(R11)
	ADDQ    $64, R10
	ADDQ    $192, R11
	DECQ    BX
	JNZ     loopA5

	MOVQ R9, R11
	MOVQ DX, BX

loopB5:
	VMOVUPD    (R11), Z2
	VMOVUPD    64(R11), Z0
	VMOVUPD    128(R11), Z5
	PASSB_Z
	VPTERNLOGQ $0xf8, (SI), Z12, Z5 // y |= x & sign mask
	VMOVUPD    Z5, (DI)
	ADDQ       $64, SI
	ADDQ       $64, DI
	ADDQ       $192, R11
	DECQ       BX
	JNZ        loopB5

	SHLQ $3, DX
	SUBQ DX, CX
	JMP  block5

tail5:
	TESTQ CX, CX
	JZ    done5
	MOVQ  $1, AX
	SHLQ  CX, AX
	SUBQ  $1, AX
	KMOVW AX, K1           // lanes 0 to CX-1
	VMOVUPD.Z  (SI), K1, Z0
	PASSA_Z
	PASSB_Z
	VMOVUPD.Z  (SI), K1, Z0
	VPTERNLOGQ $0xf8, Z0, Z12, Z5
	VMOVUPD    Z5, K1, (DI)

done5:
	VZEROUPPER
	RET
