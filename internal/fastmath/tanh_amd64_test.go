//go:build !purego

package fastmath

import "testing"

// TestTanhVecTabLayout checks the row offsets that tanh_amd64.s #defines
// against the rows of tanhVecTab.
func TestTanhVecTabLayout(t *testing.T) {
	asm := []struct {
		name     string
		off, row int
	}{
		{"ABSMASK", 0, tvAbsMask}, {"SIGNMASK", 32, tvSignMask}, {"CLAMP", 64, tvClampRow},
		{"SHIFT", 96, tvShiftRow}, {"INV", 128, tvInvRow}, {"LN2HI", 160, tvHiRow},
		{"LN2LO", 192, tvLoRow}, {"ONE", 224, tvOne}, {"TWO", 256, tvTwo}, {"HALF", 288, tvHalf},
		{"C1", 320, tvPolyRow}, {"C5", 448, tvPolyRow + 4}, {"LANEIDX", 480, tvLaneIdx},
		{"JMASK", 512, tvJMask}, {"TABHI", 544, tvTabHi}, {"TABLO", 672, tvTabLo},
	}
	for _, a := range asm {
		if a.off != 32*a.row {
			t.Errorf("%s is %d in tanh_amd64.s, but its row %d starts at byte %d", a.name, a.off, a.row, 32*a.row)
		}
	}
	if tvRows*32 != 672+128 {
		t.Errorf("tanhVecTab has %d rows, tanh_amd64.s expects %d", tvRows, (672+128)/32)
	}
}
