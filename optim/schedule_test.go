package optim

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	close := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-14*math.Abs(want) {
			t.Errorf("%s = %.17g, want %.17g", name, got, want)
		}
	}
	c := Constant(0.3)
	close("Constant(0.3).At(7)", c.At(7), 0.3)
	inv := InverseDecay(0.1, 1e-5)
	close("InverseDecay.At(0)", inv.At(0), 0.1)
	close("InverseDecay.At(100000)", inv.At(100000), 0.05)
	close("InverseDecay.At(1)", inv.At(1), 0.1/1.00001)
	e := ExpAnneal(100, 10, 75)
	close("ExpAnneal.At(0)", e.At(0), 100)
	close("ExpAnneal.At(75)", e.At(75), 10)
	close("ExpAnneal.At(150)", e.At(150), 1)
	for n := 1; n <= 75; n++ {
		// Geometric: each epoch multiplies by (10/100)^(1/75).
		close("ExpAnneal ratio", e.At(n)/e.At(n-1), math.Pow(0.1, 1.0/75))
	}
	kl := Func(func(n int) float64 { return math.Max(0, 1-math.Pow(0.99, float64(n-10))) })
	close("Func.At(20)", kl.At(20), 1-math.Pow(0.99, 10))
	if kl.At(5) != 0 {
		t.Errorf("KL weight at epoch 5 = %v, want 0", kl.At(5))
	}
	p := Product(ExpAnneal(1, 0.5, 2), InverseDecay(0.1, 1))
	close("Product.At(2)", p.At(2), 0.5*0.1/3)
	if s := inv.(interface{ String() string }).String(); s != "InverseDecay(0.1, 1e-05)" {
		t.Errorf("String %q", s)
	}
}

func TestExpAnnealPanicsOnBadArguments(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("ExpAnneal(1, 0, 10) did not panic")
		}
	}()
	ExpAnneal(1, 0, 10)
}
