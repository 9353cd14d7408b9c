// Package physionettest holds the test fixtures shared by the tests of the
// packages that read the PhysioNet 2012 records (tasks/latentode and the
// command line): a folder of a few real record files cut from the
// committed set-a archive.
package physionettest
