// Package physionet reads the ICU records of the PhysioNet/Computing in
// Cardiology Challenge 2012 (Silva et al., "Predicting In-Hospital
// Mortality of ICU Patients", Computing in Cardiology 39, 2012; PhysioNet:
// Goldberger et al., Circulation 101, 2000) into the hourly, masked and
// normalized form used for latent ODEs (Rubanova et al. 2019), which Kelly
// et al. (2020) and Pal et al. (2021, Table 2) train on, and serves it in
// seeded mini-batches.
//
// # Files
//
// A record file <RecordID>.txt holds one ICU stay: the header
// "Time,Parameter,Value", then lines such as "00:07,HR,73" where the time
// is hh:mm since admission. The first lines, at 00:00, are the general
// descriptors RecordID, Age, Gender, Height, ICUType and Weight. Load reads
// a folder of such files or a gzip-compressed tar archive of one; the set-a
// archive of the challenge (4000 records) is committed with Whitebox and
// DefaultArchive locates it. Other files, such as Outcomes-a.txt, are
// ignored.
//
// # Preprocessing
//
// Following the reference preprocessing (Rubanova et al.'s physionet.py
// as adapted in Kelly et al.'s physionet_data.py, whose output Pal et
// al.'s RegNeuralDE.jl loads):
//
//   - Features: the 37 time-varying parameters in Features. The
//     descriptors Age, Gender, Height and ICUType are dropped; Weight is
//     kept as a time series, its 00:00 descriptor value included.
//   - Time grid: each time is rounded to the nearest hour, as Python's
//     round(hours + minutes/60) does, so an exact half hour goes to the even
//     hour (00:30 to hour 0, 01:30 to hour 2). The records span 00:00 to
//     48:00, which gives the NumTimes = 49 points 0, 1, ..., 48. A time past
//     48:29 is an error.
//   - Values: the mean of the measurements of a feature in a bin, with a
//     mask of 1; 0 with a mask of 0 where there is none. (The reference
//     keeps a running mean; here it is the sum over the count.)
//   - Normalization: y = (x - min) / max per feature (a max of 0 replaced
//     by 1), over the observed bin means; unobserved entries stay 0. The
//     reference takes min and max over all records; here ComputeStats takes
//     them from the training split only, and the resulting Stats are saved
//     with a model to normalize any other records alike.
//   - Times: hour t is at t/48 in [0, 1] (Times).
//   - Split: 80:20 with an explicit seed (Split); same seed, same split.
//
// # Special and implausible values
//
// A value of -1 marks a missing general descriptor. Among the kept
// features it occurs only as Weight at 00:00 (326 of the 4000 set-a
// records). The reference preprocessing treats it as a measurement of -1,
// and so does this package by default, which makes the minimum of Weight
// -1 and, in 16 set-a records with a real weight measured before 00:30,
// averages the -1 with it. Options.MinusOneMissing treats it as missing
// instead. Physiologically
// implausible values (a temperature of -17.8, a pH of 735, pressures of 0)
// are kept unchanged, as in the reference: the model sees the data as
// published.
//
// # Malformed input
//
// An empty file, a missing header, a line without three fields, a time
// that is not hh:mm, an unknown parameter, a value that is not a finite
// number (or is beyond +-1e100), a missing or duplicate RecordID, or one
// that differs from the file name, is a *ParseError naming the file
// (archive:member inside an archive) and the line, wrapping one of the Err*
// kinds. Nothing panics on input; FuzzParseRecord checks it.
//
// # In memory
//
// A Dataset holds N records as flat float64 slices, row-major
// [record][time][feature] (RecordSize = 49*37 values per record), plus a
// mask of the same layout and the RecordIDs: set-a takes about 116 MB. A
// Batcher copies shuffled mini-batches in the same layout into caller-owned
// buffers; the order of each epoch depends only on the seed and the epoch
// number, and the short last batch is dropped unless KeepPartial is set,
// as in the reference code.
package physionet
