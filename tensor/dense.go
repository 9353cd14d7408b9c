package tensor

import "fmt"

// Dense is a row-major float64 matrix. The zero value is an empty 0 x 0
// matrix. Data has exactly Rows*Cols elements.
type Dense struct {
	Rows, Cols int
	Data       []float64
}

// New returns a zeroed r x c matrix.
func New(r, c int) *Dense {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor: negative shape %dx%d", r, c))
	}
	return &Dense{Rows: r, Cols: c, Data: make([]float64, r*c)}
}

// FromSlice wraps data (not copied) as an r x c matrix.
func FromSlice(r, c int, data []float64) *Dense {
	if r < 0 || c < 0 || len(data) != r*c {
		panic(fmt.Sprintf("tensor: %d values cannot form a %dx%d matrix", len(data), r, c))
	}
	return &Dense{Rows: r, Cols: c, Data: data}
}

// Len is the number of elements.
func (d *Dense) Len() int { return d.Rows * d.Cols }

// At returns element (i, j).
func (d *Dense) At(i, j int) float64 { return d.Data[i*d.Cols+j] }

// Set sets element (i, j).
func (d *Dense) Set(i, j int, v float64) { d.Data[i*d.Cols+j] = v }

// Row returns row i as a slice aliasing d.
func (d *Dense) Row(i int) []float64 { return d.Data[i*d.Cols : (i+1)*d.Cols] }

// Shape returns "RxC" for messages.
func (d *Dense) Shape() string { return fmt.Sprintf("%dx%d", d.Rows, d.Cols) }

// SameShape reports whether d and o have equal dimensions.
func (d *Dense) SameShape(o *Dense) bool { return d.Rows == o.Rows && d.Cols == o.Cols }

// Clone returns a deep copy.
func (d *Dense) Clone() *Dense {
	c := New(d.Rows, d.Cols)
	copy(c.Data, d.Data)
	return c
}

// CopyFrom copies src into d; shapes must match.
func (d *Dense) CopyFrom(src *Dense) {
	MustSameShape("CopyFrom", d, src)
	copy(d.Data, src.Data)
}

// Zero sets every element to 0.
func (d *Dense) Zero() { clear(d.Data) }

// Fill sets every element to v.
func (d *Dense) Fill(v float64) {
	for i := range d.Data {
		d.Data[i] = v
	}
}

// MustSameShape panics with both shapes if a and b differ.
func MustSameShape(op string, a, b *Dense) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("tensor: %s: shape mismatch %dx%d vs %dx%d", op, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}

// FillRows sets every row of d to row, which must have d.Cols elements (a
// bias broadcast, to accumulate a product onto with MatMul's beta = 1).
func (d *Dense) FillRows(row []float64) {
	if len(row) != d.Cols {
		panic(fmt.Sprintf("tensor: FillRows: row of length %d for a %s matrix", len(row), d.Shape()))
	}
	for i := 0; i < d.Rows; i++ {
		copy(d.Data[i*d.Cols:(i+1)*d.Cols], row)
	}
}
