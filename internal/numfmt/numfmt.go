// Package numfmt formats the ratios that verdicts compare with bounds, so
// that the printed number never lands on the wrong side of its bound.
package numfmt

import "strconv"

// Ratio formats r with two decimals (two significant digits below 0.1),
// or with as many more decimals as it takes (up to six) for the printed
// value to compare with each of bounds as r does: 0.7957 against a lower
// bound of 0.8 prints as 0.796, not 0.80.
func Ratio(r float64, bounds ...float64) string {
	if r < 0.1 && r > -0.1 {
		return strconv.FormatFloat(r, 'g', 2, 64)
	}
	for d := 2; d <= 6; d++ {
		s := strconv.FormatFloat(r, 'f', d, 64)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			break
		}
		if sameSides(v, r, bounds) {
			return s
		}
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}

func sameSides(v, r float64, bounds []float64) bool {
	for _, b := range bounds {
		if (v < b) != (r < b) || (v > b) != (r > b) {
			return false
		}
	}
	return true
}
