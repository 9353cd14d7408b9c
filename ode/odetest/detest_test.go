package odetest

import (
	"math"
	"testing"
)

// enrightPryceEnd are the end values y(20) returned by routine EVALU of the
// Toronto test set (Enright and Pryce, ACM TOMS 13(1), 1987, Algorithm
// 648), an independent check on the definitions and on detestEnd. They
// were computed in double precision and agree with detestEnd to 6e-14
// relative to max(1, |y|).
var enrightPryceEnd = map[string][]float64{
	"A1": {2.061153353012535e-09},
	"A2": {2.182178902359887e-01},
	"A3": {2.491650271850414e+00},
	"A4": {1.773016648131483e+01},
	"A5": {-7.887826688964196e-01},
	"B1": {6.761876008576667e-01, 1.860816099640036e-01},
	"B2": {1.000000001030576e+00, 1.000000000000000e+00, 9.999999989694235e-01},
	"B3": {2.061153488557776e-09, 5.257228022048349e-02, 9.474277177183630e-01},
	"B4": {9.826950928005993e-01, 2.198447081694832e+00, 9.129452507276399e-01},
	"B5": {-9.396570798729192e-01, -3.421177754000779e-01, 7.414126596199957e-01},
	"C1": {
		2.061153622240064e-09, 4.122307244619555e-08, 4.122307244716968e-07, 2.748204829855288e-06, 1.374102414941961e-05,
		5.496409659803266e-05, 1.832136553274552e-04, 5.234675866508716e-04, 1.308668966628220e-03, 9.979127409508656e-01,
	},
	"C2": {
		2.061153577984930e-09, 2.061153573736588e-09, 2.061153569488245e-09, 2.061153565239902e-09, 2.061153560991560e-09,
		2.061153556743217e-09, 2.061153552494874e-09, 2.061153548246532e-09, 2.061153543998189e-09, 9.999999814496180e-01,
	},
	"C3": {
		2.948119211022058e-03, 5.635380154844266e-03, 7.829072515926013e-03, 9.348257908594937e-03, 1.007943610301970e-02,
		9.982674171429909e-03, 9.088693332766085e-03, 7.489115195185912e-03, 5.322964130953349e-03, 2.762434379029886e-03,
	},
	"C4": {
		3.124111453721466e-03, 6.015416842150318e-03, 8.470021834842650e-03, 1.033682931733337e-02, 1.153249572873923e-02,
		1.204549525737964e-02, 1.192957068015293e-02, 1.128883207111195e-02, 1.025804501391024e-02, 8.982017581934167e-03,
		7.597500902492453e-03, 6.219920556824985e-03, 4.935916341009131e-03, 3.801432544256119e-03, 2.844213677587894e-03,
		2.069123394222672e-03, 1.464687282843915e-03, 1.009545263941126e-03, 6.779354330227017e-04, 4.437815269118510e-04,
		2.833264542938954e-04, 1.765005798796805e-04, 1.073342592697238e-04, 6.374497601777217e-05, 3.698645309704183e-05,
		2.097466832643746e-05, 1.162956710412555e-05, 6.306710405783322e-06, 3.346286430868515e-06, 1.737760074184334e-06,
		8.835366904275847e-07, 4.399520411127637e-07, 2.146181897152360e-07, 1.025981211654928e-07, 4.807864068784215e-08,
		2.209175152474847e-08, 9.956251263138180e-09, 4.402193653748924e-09, 1.910149382204028e-09, 8.135892921473050e-10,
		3.402477118549235e-10, 1.397485617545782e-10, 5.638575303049199e-11, 2.235459707956947e-11, 8.710498036398032e-12,
		3.336554275346643e-12, 1.256679567784939e-12, 4.654359053128788e-13, 1.693559145599857e-13, 5.996593816663054e-14,
		1.891330702629865e-14,
	},
	"C5": {
		-4.792730224323733e+00, -2.420550725448973e+00, -9.212509306014886e-01, -4.217310404035213e+00, 7.356202947498970e+00,
		3.223785985421212e+00, 4.035559443262270e+00, 1.719865528670555e+01, 7.478910794233703e+00, -2.998759326324844e+01,
		-4.107310937550929e+00, -9.277008321754407e-01, -2.442125302518482e+01, 2.381459045746554e+01, 1.492096306951359e+01,
		3.499208963063806e-01, -5.748487687912825e-01, -2.551694020879149e-01, -5.237040978903326e-01, -2.493000463579661e-01,
		-8.045341642044464e-02, -3.875289237334110e-01, 5.648603288767891e-02, 3.023606472143342e-02, 4.133856546712445e-02,
		-2.862393029841379e-01, -1.183032405136207e-01, -1.511986457359206e-01, -2.460068894318766e-01, -3.189687411323877e-02,
	},
	"D1": {2.198835352008397e-01, 9.427076846341813e-01, -9.787659841058176e-01, 3.287977990962036e-01},
	"D2": {-1.777027357140412e-01, 9.467784719905892e-01, -1.030294163192969e+00, 1.211074890053952e-01},
	"D3": {-5.780432953035361e-01, 8.633840009194193e-01, -9.595083730380727e-01, -6.504915126712089e-02},
	"D4": {-9.538990293416394e-01, 6.907409024219432e-01, -8.212674270877433e-01, -1.539574259125825e-01},
	"D5": {-1.295266250987574e+00, 4.003938963792321e-01, -6.775390924707566e-01, -1.270838154278686e-01},
	"E1": {1.456723600728308e-01, -9.883500195574063e-02},
	"E2": {2.008149762174948e+00, -4.250887527320057e-02},
	"E3": {-1.004178858647128e-01, 2.411400132095954e-01},
	"E4": {3.395091444646555e+01, 2.767822659672869e-01},
	"E5": {1.411797390542629e+01, 2.400000000000002e+00},
}

func TestDETESTProblems(t *testing.T) {
	ps := DETEST()
	if len(ps) != 25 {
		t.Fatalf("%d problems, want 25", len(ps))
	}
	dims := map[string]int{"B1": 2, "B2": 3, "C1": 10, "C4": 51, "C5": 30, "D3": 4, "E2": 2}
	for i, p := range ps {
		if want := string(rune('A'+i/5)) + string(rune('1'+i%5)); p.Name != want {
			t.Errorf("problem %d is %s, want %s", i, p.Name, want)
		}
		if d, ok := dims[p.Name]; ok && len(p.Y0) != d {
			t.Errorf("%s: dimension %d, want %d", p.Name, len(p.Y0), d)
		}
		if len(p.YEnd) != len(p.Y0) || p.T0 != 0 || p.T1 != 20 || p.F == nil || p.Description == "" {
			t.Errorf("%s: incomplete: %d initial values, %d end values, [%v, %v]", p.Name, len(p.Y0), len(p.YEnd), p.T0, p.T1)
			continue
		}
		dy := make([]float64, len(p.Y0))
		p.F(p.T0, p.Y0, dy)
		for j, v := range dy {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: f(0, y0)[%d] = %v", p.Name, j, v)
			}
		}
		if p.Exact != nil {
			y := make([]float64, len(p.Y0))
			p.Exact(p.T0, y)
			for j := range y {
				if math.Abs(y[j]-p.Y0[j]) > 1e-14*math.Max(1, math.Abs(p.Y0[j])) {
					t.Errorf("%s: Exact(0)[%d] = %v, y0 = %v", p.Name, j, y[j], p.Y0[j])
				}
			}
		}
	}
	// Fresh slices per call.
	ps[0].Y0[0], ps[0].YEnd[0] = 7, 7
	if q := DETEST()[0]; q.Y0[0] != 1 || q.YEnd[0] == 7 {
		t.Errorf("DETEST shares its slices between calls")
	}
}

// TestDETESTExact checks the reference end values against the closed-form
// solutions. The closed forms solve the problems with exact constants and
// initial values, the references the problems as rounded to float64; the
// orbits (D) magnify that rounding most, to about 1e-14. A5's closed form
// is implicit, and evaluating it in float64 magnifies rounding 20 times.
func TestDETESTExact(t *testing.T) {
	n := 0
	for _, p := range DETEST() {
		if p.Exact == nil {
			continue
		}
		n++
		y := make([]float64, len(p.Y0))
		p.Exact(p.T1, y)
		tol := 1e-15
		switch {
		case p.Name == "A5":
			tol = 1e-14
		case p.Name[0] == 'D':
			tol = 1e-13
		}
		worst := 0.0
		for j := range y {
			worst = math.Max(worst, math.Abs(y[j]-p.YEnd[j])/math.Max(1, math.Abs(y[j])))
		}
		t.Logf("%s: closed form and reference differ by %.2g", p.Name, worst)
		if worst > tol {
			t.Errorf("%s: closed form and reference differ by %.3g > %g", p.Name, worst, tol)
		}
	}
	if n != 19 {
		t.Errorf("%d problems with closed forms, want 19", n)
	}
}

// TestDETESTEnrightPryce checks every reference end value against Enright
// and Pryce's.
func TestDETESTEnrightPryce(t *testing.T) {
	for _, p := range DETEST() {
		ep := enrightPryceEnd[p.Name]
		if len(ep) != len(p.YEnd) {
			t.Errorf("%s: %d Enright-Pryce values, %d references", p.Name, len(ep), len(p.YEnd))
			continue
		}
		worst := 0.0
		for j := range ep {
			worst = math.Max(worst, math.Abs(ep[j]-p.YEnd[j])/math.Max(1, math.Abs(ep[j])))
		}
		t.Logf("%s: Enright-Pryce and reference differ by %.2g", p.Name, worst)
		if worst > 1e-13 {
			t.Errorf("%s: Enright-Pryce and reference differ by %.3g", p.Name, worst)
		}
	}
}
