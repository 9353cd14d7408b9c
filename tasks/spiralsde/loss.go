package spiralsde

import (
	"fmt"

	"github.com/whitebox-de/whitebox/tensor"
)

// Loss is the generalized-method-of-moments loss of the saved states z
// (z[i] is n x 2 at time T[i], n >= 2) against the data:
//
//	L = mean_{i,c} (m_ic - M_ic)^2 + mean_{i,c} (v_ic - V_ic)^2,
//
// with m, v the sample means and unbiased variances over the n trajectories
// and M, V the data's, the means taken over the 30 times and 2 components.
// This is the authors' code's loss; the paper's eq. 17 writes sums instead of
// means, which only rescales the loss by 60 (and the regularization
// coefficient relative to it). It returns L and dL/dz[i].
func Loss(z []*tensor.Dense, d *Data) (float64, []*tensor.Dense) {
	if len(z) != len(d.Mean) {
		panic(fmt.Sprintf("spiralsde: Loss of %d saved states against %d data points", len(z), len(d.Mean)))
	}
	m, v := Moments(z)
	k := float64(2 * len(z))
	loss := 0.0
	dz := make([]*tensor.Dense, len(z))
	for i, zi := range z {
		if zi.Cols != 2 || zi.Rows < 2 {
			panic(fmt.Sprintf("spiralsde: Loss: saved state %d is %s; want n x 2 with n >= 2", i, zi.Shape()))
		}
		n := float64(zi.Rows)
		dz[i] = tensor.New(zi.Rows, 2)
		for c := range 2 {
			em, ev := m[i][c]-d.Mean[i][c], v[i][c]-d.Var[i][c]
			loss += (em*em + ev*ev) / k
			// d m/dz_r = 1/n; d v/dz_r = 2 (z_r - m)/(n-1).
			for r := range zi.Rows {
				dz[i].Data[2*r+c] = (2*em/n + 4*ev*(zi.At(r, c)-m[i][c])/(n-1)) / k
			}
		}
	}
	return loss, dz
}
