package physionet

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// ErrStats reports statistics that cannot normalize this package's data.
var ErrStats = errors.New("physionet: invalid statistics")

// Stats are the per-feature statistics of min/max normalization,
//
//	y = (x - Min[f]) / Scale(f),  Scale(f) = Max[f], or 1 where Max[f] = 0,
//
// as in the reference preprocessing (Rubanova et al. 2019; Kelly et al.
// 2020): the divisor is the maximum, not the range. They come from the
// training split (ComputeStats) and are saved with a model, so that any
// other records are normalized the same way. Stats marshal to JSON with
// encoding/json, bit-exactly; unmarshalling validates them.
type Stats struct {
	// Features names the features, in the order of Features.
	Features []string `json:"features"`
	// Min and Max are the smallest and largest observed bin mean of each
	// feature over the records the statistics come from (0 and 0 for a
	// feature never observed there, which normalization leaves as it is).
	Min []float64 `json:"min"`
	Max []float64 `json:"max"`
	// Observed counts the observed bins of each feature.
	Observed []int `json:"observed"`
	// Records is the number of records the statistics come from.
	Records int `json:"records"`
}

// ComputeStats returns the statistics of the observed entries of d, which
// must hold values in the files' units (not yet normalized). Call it on
// the training split only.
func ComputeStats(d *Dataset) (*Stats, error) {
	if d.Stats != nil {
		return nil, fmt.Errorf("%w: the Dataset is already normalized; compute the statistics on the loaded (raw) training split", ErrStats)
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("%w: no records to compute statistics from", ErrStats)
	}
	s := &Stats{
		Features: Features[:],
		Min:      make([]float64, NumFeatures),
		Max:      make([]float64, NumFeatures),
		Observed: make([]int, NumFeatures),
		Records:  d.Len(),
	}
	for f := range NumFeatures {
		s.Min[f], s.Max[f] = math.Inf(1), math.Inf(-1)
	}
	for k, m := range d.Mask {
		if m == 0 {
			continue
		}
		f, x := k%NumFeatures, d.Values[k]
		s.Min[f] = min(s.Min[f], x)
		s.Max[f] = max(s.Max[f], x)
		s.Observed[f]++
	}
	for f := range NumFeatures {
		if s.Observed[f] == 0 {
			s.Min[f], s.Max[f] = 0, 0
		}
	}
	return s, nil
}

// Scale returns the divisor of feature f: Max[f], or 1 where Max[f] is 0.
func (s *Stats) Scale(f int) float64 {
	if s.Max[f] == 0 {
		return 1
	}
	return s.Max[f]
}

// Validate checks that s fits this package's features and is finite.
func (s *Stats) Validate() error {
	if len(s.Features) != NumFeatures || len(s.Min) != NumFeatures || len(s.Max) != NumFeatures || len(s.Observed) != NumFeatures {
		return fmt.Errorf("%w: %d features, %d minima, %d maxima and %d counts, want %d each", ErrStats, len(s.Features), len(s.Min), len(s.Max), len(s.Observed), NumFeatures)
	}
	for f, name := range s.Features {
		if name != Features[f] {
			return fmt.Errorf("%w: feature %d is %q, want %q; the statistics were saved with another feature order", ErrStats, f, name, Features[f])
		}
		if math.IsNaN(s.Min[f]) || math.IsInf(s.Min[f], 0) || math.IsNaN(s.Max[f]) || math.IsInf(s.Max[f], 0) || s.Min[f] > s.Max[f] {
			return fmt.Errorf("%w: %s has min %v and max %v, want finite with min <= max", ErrStats, name, s.Min[f], s.Max[f])
		}
	}
	return nil
}

// UnmarshalJSON decodes and validates statistics.
func (s *Stats) UnmarshalJSON(b []byte) error {
	type plain Stats
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	v := Stats(p)
	if err := v.Validate(); err != nil {
		return err
	}
	*s = v
	return nil
}

// Normalize returns a copy of d with every observed value x of feature f
// replaced by (x - Min[f]) / Scale(f); unobserved entries stay 0 and the
// mask is shared. d must hold values in the files' units.
func (s *Stats) Normalize(d *Dataset) (*Dataset, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if d.Stats != nil {
		return nil, fmt.Errorf("%w: the Dataset is already normalized; normalize the loaded (raw) records", ErrStats)
	}
	var scale [NumFeatures]float64
	for f := range scale {
		scale[f] = s.Scale(f)
	}
	n := &Dataset{IDs: d.IDs, Values: make([]float64, len(d.Values)), Mask: d.Mask, Stats: s}
	for k, m := range d.Mask {
		if m == 0 {
			continue
		}
		f := k % NumFeatures
		n.Values[k] = (d.Values[k] - s.Min[f]) / scale[f]
	}
	return n, nil
}

// Denormalize maps a normalized value y of feature f back to the files'
// units, y*Scale(f) + Min[f].
func (s *Stats) Denormalize(f int, y float64) float64 {
	return y*s.Scale(f) + s.Min[f]
}
