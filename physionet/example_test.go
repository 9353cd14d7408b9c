package physionet_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/whitebox-de/whitebox/physionet"
)

func Example() {
	path, err := physionet.DefaultArchive() // data/physionet2012/set-a.tar.gz in the clone
	if err != nil {
		fmt.Println(err)
		return
	}
	all, err := physionet.Load(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d records, %d times x %d features\n", all.Len(), physionet.NumTimes, physionet.NumFeatures)

	raw, rawTest := physionet.Split(all, 1999)
	stats, err := physionet.ComputeStats(raw) // from the training split only
	if err != nil {
		fmt.Println(err)
		return
	}
	train, _ := stats.Normalize(raw)
	test, _ := stats.Normalize(rawTest)
	fmt.Printf("train %d, test %d\n", train.Len(), test.Len())
	hr := physionet.FeatureIndex("HR")
	fmt.Printf("HR: min %g, max %g\n", stats.Min[hr], stats.Max[hr])

	saved, _ := json.Marshal(stats) // store with the model
	var loaded physionet.Stats
	if err := json.Unmarshal(saved, &loaded); err != nil {
		fmt.Println(err)
		return
	}

	b := physionet.NewBatcher(train, physionet.BatchConfig{Seed: 1999}) // 512 records, short batch dropped
	values := make([]float64, b.BatchSize()*physionet.RecordSize)
	mask := make([]float64, len(values))
	batches := 0
	for n := b.Next(values, mask); n > 0; n = b.Next(values, mask) {
		batches++ // values and mask are [512][49][37], row-major
	}
	fmt.Printf("%d batches of %d per epoch\n", batches, b.BatchSize())
	times := physionet.Times()
	fmt.Println("times:", times[0], times[1], "...", times[48])
	// Output:
	// 4000 records, 49 times x 37 features
	// train 3200, test 800
	// HR: min 0, max 199.5
	// 6 batches of 512 per epoch
	// times: 0 0.020833333333333332 ... 1
}

func ExampleParseRecord() {
	const file = `Time,Parameter,Value
00:00,RecordID,132539
00:00,Age,54
00:00,Weight,-1
00:07,HR,73
00:30,HR,77
01:30,HR,60
`
	rec, err := physionet.ParseRecord("132539.txt", strings.NewReader(file), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	hr := physionet.FeatureIndex("HR")
	for t := range 3 {
		k := t*physionet.NumFeatures + hr
		fmt.Printf("hour %d: HR %g, observed %v\n", t, rec.Values[k], rec.Mask[k] == 1)
	}

	_, err = physionet.ParseRecord("bad.txt", strings.NewReader("Time,Parameter,Value\n00:00,RecordID,1\n00:07,HR,seventy\n"), nil)
	fmt.Println(err)
	// Output:
	// hour 0: HR 75, observed true
	// hour 1: HR 0, observed false
	// hour 2: HR 60, observed true
	// physionet: bad.txt:3: value "seventy" of HR is not a finite decimal number
}
