package ad

import (
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

// backward propagates the cotangent of node i to its inputs (vector-Jacobian
// products). Inputs that do not need gradients are skipped.
func (tp *Tape) backward(i int32) {
	n := tp.nodes[i]
	g := n.grad
	y := n.val
	needA := n.a >= 0 && tp.nodes[n.a].needs
	needB := n.b >= 0 && tp.nodes[n.b].needs
	var xa, xb *tensor.Dense
	if n.a >= 0 {
		xa = tp.nodes[n.a].val
	}
	if n.b >= 0 {
		xb = tp.nodes[n.b].val
	}
	switch n.op {
	case opMatMul:
		if needA {
			ga, beta := tp.gradForProduct(n.a)
			tensor.MatMul(ga, 1, g, false, xb, true, beta)
		}
		if needB {
			gb, beta := tp.gradForProduct(n.b)
			tensor.MatMul(gb, 1, xa, true, g, false, beta)
		}
	case opDense:
		gz := g
		if n.i0 == ActTanh {
			gz = tp.get(g.Rows, g.Cols)
			tensor.TanhBackward(gz.Data, g.Data, y.Data)
		}
		if needA {
			ga, beta := tp.gradForProduct(n.a)
			tensor.MatMul(ga, 1, gz, false, xb, true, beta)
		}
		if needB {
			gb, beta := tp.gradForProduct(n.b)
			tensor.MatMul(gb, 1, xa, true, gz, false, beta)
		}
		if tp.nodes[n.c].needs {
			tensor.ColSumsAdd(tp.gradOf(n.c).Data, gz.Data)
		}
		if gz != g {
			tp.put(gz)
		}
	case opAddRow:
		if needA {
			ga := tp.gradOf(n.a)
			tensor.Add(ga.Data, ga.Data, g.Data)
		}
		if needB {
			tensor.ColSumsAdd(tp.gradOf(n.b).Data, g.Data)
		}
	case opAddCol:
		if needA {
			ga := tp.gradOf(n.a)
			tensor.Add(ga.Data, ga.Data, g.Data)
		}
		if needB {
			gb := tp.gradOf(n.b)
			for r := 0; r < g.Rows; r++ {
				s := 0.0
				for _, v := range g.Row(r) {
					s += v
				}
				gb.Data[r] += s
			}
		}
	case opAdd:
		if needA {
			ga := tp.gradOf(n.a)
			tensor.Add(ga.Data, ga.Data, g.Data)
		}
		if needB {
			gb := tp.gradOf(n.b)
			tensor.Add(gb.Data, gb.Data, g.Data)
		}
	case opSub:
		if needA {
			ga := tp.gradOf(n.a)
			tensor.Add(ga.Data, ga.Data, g.Data)
		}
		if needB {
			gb := tp.gradOf(n.b)
			tensor.Sub(gb.Data, gb.Data, g.Data)
		}
	case opMul:
		if needA {
			tensor.AddMul(tp.gradOf(n.a).Data, g.Data, xb.Data)
		}
		if needB {
			tensor.AddMul(tp.gradOf(n.b).Data, g.Data, xa.Data)
		}
	case opDiv:
		if needA {
			ga := tp.gradOf(n.a).Data
			for k, gv := range g.Data {
				ga[k] += gv / xb.Data[k]
			}
		}
		if needB {
			gb := tp.gradOf(n.b).Data
			for k, gv := range g.Data {
				gb[k] -= gv * y.Data[k] / xb.Data[k]
			}
		}
	case opMax:
		var ga, gb []float64
		if needA {
			ga = tp.gradOf(n.a).Data
		}
		if needB {
			gb = tp.gradOf(n.b).Data
		}
		for k, gv := range g.Data {
			if xa.Data[k] >= xb.Data[k] {
				if ga != nil {
					ga[k] += gv
				}
			} else if gb != nil {
				gb[k] += gv
			}
		}
	case opScale:
		ga := tp.gradOf(n.a)
		tensor.AddScaled(ga.Data, ga.Data, n.s, g.Data)
	case opScaleBy:
		s := xb.Data[0]
		if needA {
			ga := tp.gradOf(n.a)
			tensor.AddScaled(ga.Data, ga.Data, s, g.Data)
		}
		if needB {
			acc := 0.0
			for k, gv := range g.Data {
				acc += gv * xa.Data[k]
			}
			tp.gradOf(n.b).Data[0] += acc
		}
	case opAddScalar:
		ga := tp.gradOf(n.a)
		tensor.Add(ga.Data, ga.Data, g.Data)
	case opNeg:
		ga := tp.gradOf(n.a)
		tensor.Sub(ga.Data, ga.Data, g.Data)
	case opTanh:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += gv * (1 - y.Data[k]*y.Data[k])
		}
	case opSigmoid:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += gv * y.Data[k] * (1 - y.Data[k])
		}
	case opSoftplus:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += gv * sigmoid(xa.Data[k])
		}
	case opRelu:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			if xa.Data[k] > 0 {
				ga[k] += gv
			}
		}
	case opExp:
		tensor.AddMul(tp.gradOf(n.a).Data, g.Data, y.Data)
	case opLog:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += gv / xa.Data[k]
		}
	case opSquare:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += 2 * gv * xa.Data[k]
		}
	case opCube:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			x := xa.Data[k]
			ga[k] += 3 * gv * x * x
		}
	case opPow:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			ga[k] += gv * n.s * math.Pow(xa.Data[k], n.s-1)
		}
	case opAbs:
		ga := tp.gradOf(n.a).Data
		for k, gv := range g.Data {
			switch x := xa.Data[k]; {
			case x > 0:
				ga[k] += gv
			case x < 0:
				ga[k] -= gv
			}
		}
	case opConcatCols:
		ca := xa.Cols
		var ga, gb *tensor.Dense
		if needA {
			ga = tp.gradOf(n.a)
		}
		if needB {
			gb = tp.gradOf(n.b)
		}
		for r := 0; r < g.Rows; r++ {
			gr := g.Row(r)
			if ga != nil {
				row := ga.Row(r)
				for j := range row {
					row[j] += gr[j]
				}
			}
			if gb != nil {
				row := gb.Row(r)
				for j := range row {
					row[j] += gr[ca+j]
				}
			}
		}
	case opSliceCols:
		ga := tp.gradOf(n.a)
		for r := 0; r < g.Rows; r++ {
			row := ga.Row(r)[n.i0:]
			for j, gv := range g.Row(r) {
				row[j] += gv
			}
		}
	case opSliceRows:
		ga := tp.gradOf(n.a).Data[n.i0*g.Cols:]
		for k, gv := range g.Data {
			ga[k] += gv
		}
	case opSum:
		ga := tp.gradOf(n.a).Data
		for k := range ga {
			ga[k] += g.Data[0]
		}
	case opMean:
		ga := tp.gradOf(n.a).Data
		s := g.Data[0] / float64(len(ga))
		for k := range ga {
			ga[k] += s
		}
	case opRowSums:
		ga := tp.gradOf(n.a)
		for r := 0; r < ga.Rows; r++ {
			s := g.Data[r]
			row := ga.Row(r)
			for j := range row {
				row[j] += s
			}
		}
	case opRMS:
		if y.Data[0] == 0 {
			return
		}
		ga := tp.gradOf(n.a)
		s := g.Data[0] / (float64(len(ga.Data)) * y.Data[0])
		tensor.AddScaled(ga.Data, ga.Data, s, xa.Data)
	case opLogSumExp:
		ga := tp.gradOf(n.a)
		for r := 0; r < ga.Rows; r++ {
			l, gr := y.Data[r], g.Data[r]
			row, xr := ga.Row(r), xa.Row(r)
			for j := range row {
				row[j] += gr * math.Exp(xr[j]-l)
			}
		}
	case opLogSoftmax:
		ga := tp.gradOf(n.a)
		for r := 0; r < ga.Rows; r++ {
			gr, yr, row := g.Row(r), y.Row(r), ga.Row(r)
			s := 0.0
			for _, v := range gr {
				s += v
			}
			for j := range row {
				row[j] += gr[j] - math.Exp(yr[j])*s
			}
		}
	case opLinComb:
		for k, id := range n.args {
			if tp.nodes[id].needs && n.coef[k] != 0 {
				tp.deferGrad(id, i, n.coef[k])
			}
		}
	case opRMSDiff:
		if y.Data[0] == 0 {
			return
		}
		c := g.Data[0] / (float64(len(xa.Data)) * y.Data[0])
		var ga, gb []float64
		if needA {
			ga = tp.gradOf(n.a).Data
		}
		if needB {
			gb = tp.gradOf(n.b).Data
		}
		tensor.RMSDiffBackward(ga, gb, xa.Data, xb.Data, c)
	case opErrorNorm:
		if y.Data[0] == 0 {
			return
		}
		u1 := tp.nodes[n.c].val
		needC := tp.nodes[n.c].needs
		atol, rtol := n.s, n.coef[0]
		c := g.Data[0] / (float64(len(xa.Data)) * y.Data[0])
		var gx, g0, g1 []float64
		if needA {
			gx = tp.gradOf(n.a).Data
		}
		if needB {
			g0 = tp.gradOf(n.b).Data
		}
		if needC {
			g1 = tp.gradOf(n.c).Data
		}
		tensor.ErrorNormBackward(gx, g0, g1, xa.Data, xb.Data, u1.Data, atol, rtol, c)
	default:
		panic("ad: backward: unknown op")
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
