package physionet

import "math/rand/v2"

// synthetic returns n records with IDs 1000.. and random raw values, each
// entry observed with probability 0.3.
func synthetic(n int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	d := &Dataset{IDs: make([]int, n), Values: make([]float64, n*RecordSize), Mask: make([]float64, n*RecordSize)}
	for i := range n {
		d.IDs[i] = 1000 + i
	}
	for k := range d.Values {
		if r.Float64() < 0.3 {
			d.Mask[k] = 1
			d.Values[k] = 200*r.Float64() - 20
		}
	}
	return d
}
