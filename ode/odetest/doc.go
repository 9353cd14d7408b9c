// Package odetest holds reference initial value problems for testing ODE
// solvers, with their definitions, initial values and reference end values,
// as gonum keeps its quadrature problems in integrate/testquad.
//
// DETEST returns the 25 non-stiff problems of classes A to E of Hull,
// Enright, Fellen and Sedgwick, "Comparing numerical methods for ordinary
// differential equations", SIAM J. Numer. Anal. 9(4):603-637, 1972: single
// equations (A), small systems (B), moderate systems (C, including the five
// outer planets, C5), orbit equations with eccentricities 0.1 to 0.9 (D)
// and second-order equations written as first-order systems (E). Each is
// integrated over [0, 20]. The definitions follow the paper as coded in the
// Toronto test set of Enright and Pryce, "Two FORTRAN packages for
// assessing initial value methods", ACM TOMS 13(1):28-34, 1987 (Algorithm
// 648, routines FCN and IVALU).
//
// Every problem's reference end value YEnd is the solution at t = 20 of
// the problem as written in float64 (its constants and initial values
// rounded to float64), computed by an extended-precision (128-bit
// mantissa) Gragg-Bulirsch-Stoer extrapolation solve and rounded to
// float64; TestReferenceValues regenerates them with -odetest.refgen.
// Where the problem has a closed-form solution (Problem.Exact, 19 of the 25)
// the tests check the reference against it (within 1e-15 relative to
// max(1, |y|), except 4e-15 for A5 and 2e-14 for the orbits, which
// magnify the float64 rounding of their initial values), and all 25
// against the end values of Enright and Pryce's routine EVALU (within
// 6e-14).
package odetest
