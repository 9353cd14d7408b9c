package mnist

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkParseImages(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		raw := encodeImages(uint32(n), 28, 28, randomPixels(n*784, 31))
		for _, c := range []struct {
			name string
			data []byte
		}{{"raw", raw}, {"gzip", gzipBytes(b, raw)}} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					if _, err := ParseImages(bytes.NewReader(c.data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkNewSet(b *testing.B) {
	const n = 10000
	img := &Images{N: n, Rows: 28, Cols: 28, Pixels: randomPixels(n*784, 32)}
	labels := randomLabels(n, 33)
	b.ReportAllocs()
	b.SetBytes(n * 784)
	for b.Loop() {
		if _, err := NewSet(img, labels); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadMNIST reads and converts the four GoMNIST files.
func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := DefaultDir()
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatcherNext(b *testing.B) {
	for _, size := range []int{128, 512} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			set := smallSet(10000, 28, 28)
			bt := NewBatcher(set, size, 1, true)
			x, y := make([]float64, size*set.Dim()), make([]uint8, size)
			e := 0
			b.ReportAllocs()
			for b.Loop() {
				if bt.Next(x, y) == 0 {
					e++
					bt.Epoch(e)
				}
			}
		})
	}
}

func BenchmarkBatcherEpoch(b *testing.B) {
	for _, n := range []int{10000, 60000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			bt := NewBatcher(&Set{N: n, Rows: 1, Cols: 1}, 512, 1, false)
			b.ReportAllocs()
			e := 0
			for b.Loop() {
				bt.Epoch(e)
				e++
			}
		})
	}
}
